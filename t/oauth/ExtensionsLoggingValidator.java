// SPDX-License-Identifier: Apache-2.0
// Kafka's own OAUTHBEARER validator (JWKS, audience, issuer), which also
// prints the SASL extensions each login brought, so that t/13_oauth.t can
// see them arrive at the broker: Kafka itself accepts every extension
// without a word. One line on the broker's stdout (its server.log):
//   ku-oauth-extensions principal={...}
import java.io.IOException;
import java.util.TreeMap;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.UnsupportedCallbackException;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerExtensionsValidatorCallback;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler;

public class ExtensionsLoggingValidator extends OAuthBearerValidatorCallbackHandler {
    @Override
    public void handle(Callback[] callbacks) throws IOException, UnsupportedCallbackException {
        super.handle(callbacks);
        for (Callback callback : callbacks) {
            if (callback instanceof OAuthBearerExtensionsValidatorCallback) {
                OAuthBearerExtensionsValidatorCallback c = (OAuthBearerExtensionsValidatorCallback) callback;
                System.out.println("ku-oauth-extensions " + c.token().principalName() + "="
                                   + new TreeMap<>(c.inputExtensions().map()));
                System.out.flush();
            }
        }
    }
}
