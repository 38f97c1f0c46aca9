-- SPDX-License-Identifier: Apache-2.0
-- The same example's second function, unchanged.
return function(message) local headers = message and message.headers; local apikey = headers and headers.apikey; if apikey then headers.apikey = "[REDACTED]" end; return message end
