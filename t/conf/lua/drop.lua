-- SPDX-License-Identifier: Apache-2.0
-- Drops the messages whose body asks for it (returns nil).
return function(message)
  if message.body_args.drop then return nil end
  return message
end
