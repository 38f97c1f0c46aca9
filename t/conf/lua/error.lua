-- SPDX-License-Identifier: Apache-2.0
-- A function that fails.
return function(message) error("boom") end
