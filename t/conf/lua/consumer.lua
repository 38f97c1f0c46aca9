-- SPDX-License-Identifier: Apache-2.0
-- Kong's documented example "Inject consumer info and redact sensitive
-- request headers", its first function, unchanged.
return function(message) message.consumer = kong.client.get_consumer(); return message end
