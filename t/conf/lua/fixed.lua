-- SPDX-License-Identifier: Apache-2.0
-- Kong's documented example "Return a fixed table", unchanged.
return function(message) return {a="1", b="2"} end
