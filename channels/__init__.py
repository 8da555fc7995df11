"""Messaging channels: Twilio SMS and WhatsApp, Slack, Messenger, Telegram.

Each connector is registered in credentials.yml by its class path and only
formats what the actions decide: the same answers, safety notes, referrals and
red-flag or crisis replies reach every channel. See docs/channels.md.

- guard.py: the input rules every channel applies (cleaning, length, "/" only
  for the assistant's own payloads, metadata kept)
- formatting.py: markdown clean-up, splitting to a length limit, numbered options
- links.py: link buttons (call, text, web) and how a channel writes them out
- options.py: a reply "1" or the option's words -> that option's payload
- output.py: the shared output-channel behaviour (format, split, buttons)
- twilio_signed.py, slack.py, messenger.py, telegram.py: the connectors
"""
