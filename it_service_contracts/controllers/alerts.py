import json

from odoo import SUPERUSER_ID, http
from odoo.exceptions import UserError
from odoo.http import request

# the largest body a monitoring system may post
MAX_ALERT_BYTES = 64 * 1024


class _BadBody(Exception):
    """A body the webhook cannot read: its HTTP status and the message the sender gets."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class ItAlertController(http.Controller):
    """The webhook monitoring systems post their alerts to: ``POST /it/alerts/<token>`` with a JSON body.

    Nobody logs in: the token names the source. The alert is then handled as the system, confined to the source's
    company; the body only says which alert it is and which asset it is about, matched within the source's client
    (or company), never which company or client to work for. Every answer is JSON; bad input gets a 4xx with an
    ``error`` message, never a server error.
    """

    @http.route("/it/alerts/<string:token>", type="http", auth="public", methods=["POST"], csrf=False,
                save_session=False)
    def it_alert_receive(self, token, **_params):
        source = request.env["it.alert.source"]._it_from_token(token)
        if not source:
            return self._it_answer({"error": request.env._("Unknown monitoring source.")}, 404)
        env = request.env(user=SUPERUSER_ID, su=True, context=dict(
            request.env.context, allowed_company_ids=source.company_id.ids,
            lang=source.company_id.partner_id.lang or request.env.context.get("lang"),
        ))
        source = source.with_env(env)
        try:
            payload = self._it_read_payload()
            with env.cr.savepoint():
                alert, opened = env["it.alert"]._it_receive(source, payload)
        except _BadBody as error:
            return self._it_answer({"error": error.message}, error.status)
        except UserError as error:  # a ValidationError too: what the alert says cannot be done
            return self._it_answer({"error": error.args[0]}, 422)
        return self._it_answer({"request_id": alert.task_id.id or None}, 201 if opened else 200)

    @staticmethod
    def _it_read_payload():
        """The JSON document of the request's body, refused when it is not JSON, too large or unreadable. The body
        is kept (``get_data``'s cache) for the replay of a request after a concurrency error."""
        httprequest = request.httprequest
        if httprequest.mimetype != "application/json":
            raise _BadBody(415, request.env._("Send the alert as JSON with the header Content-Type: application/json."))
        if httprequest.content_length is None:
            raise _BadBody(411, request.env._("The request has no Content-Length."))
        if httprequest.content_length > MAX_ALERT_BYTES:
            raise _BadBody(413, request.env._(
                "The alert is larger than %(size)s KB.", size=MAX_ALERT_BYTES // 1024))
        try:
            return json.loads(httprequest.get_data(cache=True).decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):  # deep nesting as well
            raise _BadBody(400, request.env._("The body is not valid JSON.")) from None

    @staticmethod
    def _it_answer(data, status):
        return request.make_json_response(data, status=status)
