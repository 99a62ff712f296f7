-- Sign-up on a web page only, announced in-band (XEP-0077 §5 "Redirection"), for the test suite.
--
-- Load it on a VirtualHost with allow_registration = false (so mod_register_ibr is not loaded
-- and no account can ever be made in-band there). Like the public servers that only allow web
-- sign-up, it still advertises the `register` stream feature to unauthenticated clients over
-- TLS, and answers the jabber:iq:register get with instructions and a jabber:x:oob <url/>
-- naming the sign-up page, without any form fields. A set (an attempt to register anyway) is
-- refused with cancel/not-allowed, the page named in the error text.
--
-- Option (required):
--   test_web_signup_url = "https://example.test/signup"

local st = require "util.stanza";

local url = module:get_option_string("test_web_signup_url");
assert(url, "test_web_signup_url is not set");
local require_encryption = module:get_option_boolean("c2s_require_encryption", true);

local instructions = "To create an account on " .. module.host .. ", visit " .. url;
local feature = st.stanza("register", { xmlns = "http://jabber.org/features/iq-register" }):up();

module:hook("stream-features", function (event)
	local session, features = event.origin, event.features;
	if session.type ~= "c2s_unauthed" or (require_encryption and not session.secure) then
		return;
	end
	features:add_child(feature);
end);

module:hook("stanza/iq/jabber:iq:register:query", function (event)
	local session, stanza = event.origin, event.stanza;
	if session.type ~= "c2s_unauthed" or (require_encryption and not session.secure) then
		return; -- Prosody's usual answers (service-unavailable)
	end
	if stanza.attr.type == "get" then
		session.send(st.reply(stanza)
			:tag("query", { xmlns = "jabber:iq:register" })
				:text_tag("instructions", instructions)
				:tag("x", { xmlns = "jabber:x:oob" })
					:text_tag("url", url));
		module:log("debug", "Sent the sign-up page %s", url);
		return true;
	end
	session.send(st.error_reply(stanza, "cancel", "not-allowed", instructions));
	return true;
end, 10);
