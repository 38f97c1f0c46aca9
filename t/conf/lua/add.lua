-- SPDX-License-Identifier: Apache-2.0
-- Adds fields: a constant and one computed from the body.
return function(message)
  message.added = "by-lua"
  message.body_length = #message.body
  return message
end
