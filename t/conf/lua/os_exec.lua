-- SPDX-License-Identifier: Apache-2.0
-- Reaches for os: not there.
return function(message) os.execute("touch /tmp/ku-lua-escaped") return message end
