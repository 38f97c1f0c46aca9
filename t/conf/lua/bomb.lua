-- SPDX-License-Identifier: Apache-2.0
-- A memory bomb: a table that grows without end.
return function(message)
  local t = {}
  for i = 1, 1e9 do t[i] = string.rep("x", 1000) .. i end
  return message
end
