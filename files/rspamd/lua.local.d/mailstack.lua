--[[
Mailstack's own Rspamd rule (loaded from lua.local.d/ by Rspamd's rules/rspamd.lua).

MAILSTACK_FROM_NOT_SENDER: a logged-in user's message must carry exactly one header From, and it
must be the envelope sender. Postfix has already checked that the login owns the envelope sender
(reject_sender_login_mismatch: its address, its aliases, aliases it receives; the null sender is
refused on 587/465), so together a user can only send, and get DKIM-signed, as an address they
own. A prefilter with a pre-result: the message is refused (5xx at the end of DATA) before any
other rule or the DKIM signer runs. mailcow lets the login's ACL decide the header From in
SOGo/Postfix; docker-mailserver and Mailu check only the envelope.
]]

local E = {}

rspamd_config:register_symbol({
  name = 'MAILSTACK_FROM_NOT_SENDER',
  type = 'prefilter',
  priority = 10,
  group = 'mailstack',
  score = 0.0,
  description = 'Authenticated sender uses a header From that is not its envelope sender',
  callback = function(task)
    local user = task:get_user()
    if not user then
      return false
    end
    local envelope = (((task:get_from('smtp') or E)[1] or E).addr or ''):lower()
    local froms = task:get_from('mime') or E
    local headers = task:get_header_full('From') or E
    local header = ((froms[1] or E).addr or ''):lower()
    if envelope ~= '' and #headers == 1 and #froms == 1 and header == envelope then
      return false
    end
    task:insert_result('MAILSTACK_FROM_NOT_SENDER', 1.0, header)
    task:set_pre_result('reject',
      'The From header must be your sending address (' .. envelope .. '), one address only',
      'mailstack')
    return true
  end,
})
