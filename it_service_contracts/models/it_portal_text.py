"""What a client's contact types in the portal is bounded: a pasted log or a runaway script does not become a
request, a comment or a signer's name of megabytes, which every page, mail and report would carry after."""
from odoo.exceptions import ValidationError

# a request's title and a signer's name
PORTAL_LINE_CHARS = 200
# a request's description and the client's comments (a long log goes in an attached file)
PORTAL_TEXT_CHARS = 20000


def check_portal_text(env, text, what, limit=PORTAL_TEXT_CHARS):
    """Refuse ``text`` longer than ``limit`` characters, naming the field ``what`` as the form shows it."""
    if text and len(text) > limit:
        raise ValidationError(env._(
            "%(what)s is %(length)s characters long, and at most %(limit)s are accepted: shorten it (a long log "
            "can be attached as a file).", what=what, length=len(text), limit=limit,
        ))
