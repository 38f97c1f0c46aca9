-- SPDX-License-Identifier: Apache-2.0
-- Keys the record by the body's user (the second argument: the record).
return function(message, record)
  record.key = message.body_args.user
  return message
end
