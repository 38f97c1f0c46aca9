-- SPDX-License-Identifier: Apache-2.0
-- Raw format: the message is the body string.
return function(body) return body:upper() end
