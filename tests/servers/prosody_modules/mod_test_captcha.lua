-- A XEP-0158 CAPTCHA in front of in-band registration, for the test suite only.
--
-- Load it on a VirtualHost next to mod_register (allow_registration = true). It answers the
-- jabber:iq:register get itself (priority 10, before mod_register_ibr) with a XEP-0004 form
-- (FORM_TYPE urn:xmpp:captcha, as ejabberd sends) whose `ocr` field carries a XEP-0221 media
-- element pointing at a XEP-0231 Bits of Binary image sent in the same iq. On a set it checks
-- the single-use challenge and the answer; a right answer falls through to mod_register_ibr,
-- which creates the account as usual (rate limits, name checks and all).
--
-- Options (all required except the lifetime):
--   test_captcha_image = "/path/to/captcha.png"   -- the PNG shown for every challenge
--   test_captcha_answer = "K7P3Q"                  -- compared ignoring case and white space
--   test_captcha_lifetime = 600                    -- seconds a challenge stays valid

local st = require "util.stanza";
local base64 = require "util.encodings".base64;
local sha1 = require "util.hashes".sha1;
local new_id = require "util.id".medium;

local image_path = module:get_option_string("test_captcha_image");
local answer = module:get_option_string("test_captcha_answer");
local lifetime = module:get_option_number("test_captcha_lifetime", 600);
assert(image_path, "test_captcha_image is not set");
assert(answer, "test_captcha_answer is not set");

local file = assert(io.open(image_path, "rb"));
local png = file:read("*a");
file:close();
local cid = "sha1+" .. sha1(png, true) .. "@bob.xmpp.org";
local png_b64 = base64.encode(png);

local challenges = {}; -- challenge id -> expiry (os.time())

local function normalise(text)
	return (text or ""):gsub("%s+", ""):upper();
end

local function forget_expired(now)
	for challenge, expiry in pairs(challenges) do
		if expiry < now then
			challenges[challenge] = nil;
		end
	end
end

local function captcha_form(challenge)
	return st.stanza("query", { xmlns = "jabber:iq:register" })
		:text_tag("instructions", "Choose a username and password, and type the characters you see in the picture.")
		:tag("x", { xmlns = "jabber:x:data", type = "form" })
			:text_tag("title", "Creating a new account")
			:text_tag("instructions", "Type the characters you see in the picture.")
			:tag("field", { var = "FORM_TYPE", type = "hidden" })
				:text_tag("value", "urn:xmpp:captcha"):up()
			:tag("field", { var = "from", type = "hidden" })
				:text_tag("value", module.host):up()
			:tag("field", { var = "challenge", type = "hidden" })
				:text_tag("value", challenge):up()
			:tag("field", { var = "sid", type = "hidden" })
				:text_tag("value", ""):up()
			:tag("field", { var = "username", type = "text-single", label = "Username" })
				:tag("required"):up():up()
			:tag("field", { var = "password", type = "text-private", label = "Password" })
				:tag("required"):up():up()
			:tag("field", { var = "ocr", type = "text-single", label = "Enter the text you see" })
				:tag("required"):up()
				:tag("media", { xmlns = "urn:xmpp:media-element" })
					:text_tag("uri", "cid:" .. cid, { type = "image/png" })
				:up()
			:up()
		:up();
end

module:hook("stanza/iq/jabber:iq:register:query", function (event)
	local session, stanza = event.origin, event.stanza;
	if session.type ~= "c2s_unauthed" or not session.secure then
		return; -- mod_register_ibr gives its usual answers (service-unavailable, policy-violation)
	end
	local query = stanza.tags[1];

	if stanza.attr.type == "get" then
		local now = os.time();
		forget_expired(now);
		local challenge = new_id();
		challenges[challenge] = now + lifetime;
		local reply = st.reply(stanza):add_child(captcha_form(challenge));
		reply:text_tag("data", png_b64, { xmlns = "urn:xmpp:bob", cid = cid, type = "image/png", ["max-age"] = "0" });
		session.send(reply);
		module:log("debug", "Sent CAPTCHA challenge %s", challenge);
		return true;
	end

	if stanza.attr.type ~= "set" or (query.tags[1] and query.tags[1].name == "remove") then
		return;
	end

	local values = {};
	local form = query:get_child("x", "jabber:x:data");
	if form then
		for field in form:childtags("field") do
			if field.attr.var then
				values[field.attr.var] = field:get_child_text("value");
			end
		end
	end

	local challenge = values.challenge;
	if not challenge or challenge == "" then
		session.send(st.error_reply(stanza, "modify", "not-acceptable",
			"The CAPTCHA was not answered: request the registration form first"));
		return true;
	end
	local expiry = challenges[challenge];
	challenges[challenge] = nil; -- single use, right or wrong
	if not expiry or expiry < os.time() then
		session.send(st.error_reply(stanza, "modify", "not-acceptable",
			"The CAPTCHA has expired or was already used: request a new form"));
		return true;
	end
	if normalise(values.ocr) ~= normalise(answer) then
		module:log("debug", "Wrong answer to CAPTCHA challenge %s", challenge);
		session.send(st.error_reply(stanza, "modify", "not-acceptable", "CAPTCHA answer was wrong"));
		return true;
	end
	module:log("debug", "Right answer to CAPTCHA challenge %s", challenge);
	-- fall through: mod_register_ibr creates the account
end, 10);
