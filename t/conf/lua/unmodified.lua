-- SPDX-License-Identifier: Apache-2.0
-- Kong's documented example "Unmodified message", unchanged.
return function(message) return message end
