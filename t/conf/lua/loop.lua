-- SPDX-License-Identifier: Apache-2.0
-- An endless loop.
return function(message) while true do end end
