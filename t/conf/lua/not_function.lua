-- SPDX-License-Identifier: Apache-2.0
-- Returns no function: refused when the configuration is read.
return 42
