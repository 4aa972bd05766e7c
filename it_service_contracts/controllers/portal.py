from odoo import http
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.fields import Domain
from odoo.http import request
from odoo.tools import consteq

from ..models.project_task_client import PORTAL_MAX_ATTACHMENT_BYTES, PORTAL_MAX_ATTACHMENTS

PAGE_SIZE = 20
# the states of a contract the client sees: drafts are still being negotiated, cancelled ones never ran
PORTAL_CONTRACT_STATES = ("active", "expired", "closed")
# a draft the firm has sent for acceptance is shown too: the client reads it and accepts or refuses it
PORTAL_SENT_STATES = ("sent", "accepted", "refused")
CONTRACT_REPORT = "it_service_contracts.action_report_it_contract_document"
AMENDMENT_REPORT = "it_service_contracts.action_report_it_contract_amendment"


def _it_readonly_page(model, arg):
    """The ``readonly`` of a record's page whose links carry portal tokens, decided on the read-only cursor (a
    replica's) before the page is served: read-only when the page would not write, that is when the records it links
    to have their token already (``get_portal_url`` gives one on the first visit). A record the replica does not have
    yet (just created on the primary) and the page shown right after the client's own answer (``message`` in its
    query) are read on the primary, which holds what the client just did."""
    def readonly(controller, rule, args):
        if request.httprequest.args.get("message"):
            return False
        records = controller._it_linked_records(model, args[arg])
        return bool(records) and all(record.access_token for record in records)
    return readonly


class ItServicePortal(CustomerPortal):
    """The client's IT pages in /my: contracts and hours left, requests and their SLA, approvals, months and
    statements, assets. Every page reads as the system inside a domain of the contact's own client, so a
    page's queries do not grow with the client's records and nothing of another client can be reached."""

    # ------------------------------------------------------------------ helpers

    def _it_client(self):
        return request.env.user.partner_id.commercial_partner_id

    def _it_contract_domain(self):
        return [
            ("partner_id", "=", self._it_client().id), "|", ("state", "in", PORTAL_CONTRACT_STATES),
            "&", ("state", "=", "draft"), ("acceptance_state", "in", PORTAL_SENT_STATES),
        ]

    @staticmethod
    def _it_contract_shown(contract):
        return contract.state in PORTAL_CONTRACT_STATES or (
            contract.state == "draft" and contract.acceptance_state in PORTAL_SENT_STATES)

    def _it_own_contract(self, contract_id, access_token=None):
        """The contract if it is the contact's client's (or the link carries its token) and shown in the portal;
        else an AccessError."""
        contract = self._it_own("it.contract", contract_id, access_token)
        if not self._it_contract_shown(contract):
            raise AccessError(request.env._("This contract is not available in your portal."))
        return contract

    def _it_asset_domain(self):
        return [("partner_id", "=", self._it_client().id)]

    def _it_period_domain(self):
        return [("partner_id", "=", self._it_client().id)]

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        env = request.env
        counts = {
            "it_contract_count": ("it.contract", self._it_contract_domain),
            "it_request_count": ("project.task", lambda: env["project.task"]._it_portal_domain(env.user.partner_id)),
            "it_asset_count": ("it.asset", self._it_asset_domain),
            "it_period_count": ("it.contract.period", self._it_period_domain),
        }
        for key, (model, domain) in counts.items():
            if key in counters:
                values[key] = env[model].sudo().search_count(domain())
        return values

    def _it_list(self, model, domain, url, page, order, page_name, template, key, extra=None, url_args=None):
        Model = request.env[model].sudo()
        pager = portal_pager(url=url, url_args=url_args, total=Model.search_count(domain), page=page, step=PAGE_SIZE)
        records = Model.search(domain, order=order, limit=PAGE_SIZE, offset=pager["offset"])
        values = self._prepare_portal_layout_values()
        values.update({key: records, "pager": pager, "page_name": page_name, "default_url": url, **(extra or {})})
        return request.render(template, values)

    @staticmethod
    def _it_check_input(*values):
        """What a form or a JSON body sent: text without NUL bytes (the database refuses them) or nothing; any
        other type is refused with a message, never a server error."""
        for value in values:
            if value is not None and (not isinstance(value, str) or "\x00" in value):
                raise UserError(request.env._("The form contains a value that cannot be saved: check what you typed."))

    @staticmethod
    def _it_token_matches(token, access_token):
        """A link's token against the record's: a wrong, malformed or non-ASCII one simply does not match."""
        return bool(token and isinstance(access_token, str) and access_token.isascii()
                    and consteq(token, access_token))

    def _it_own(self, model, record_id, access_token=None):
        """The record if it is the contact's client's, or if a visitor who is not logged in brings its token (the
        link mailed to the client's contact), as the system. Whoever is logged in sees what their account allows:
        a contact their client's records, the firm's people the back office, where their rights apply (a
        technician does not read a rate through the client's link)."""
        # an id beyond the database's integers names nothing (a forged link)
        record = request.env[model].sudo().browse(record_id).exists() if 0 < record_id < 2**31 else None
        if not record:
            raise MissingError(request.env._("This document does not exist."))
        client = record.it_client_id if model == "project.task" else record.partner_id
        if client != self._it_client() or (model == "project.task" and not record.it_is_service_request):
            token = record.access_token if "access_token" in record else None
            if not (request.env.user._is_public() and self._it_token_matches(token, access_token)):
                raise AccessError(request.env._("This document is not one of your company's."))
        return record

    @classmethod
    def _it_linked_records(cls, model, record_id):
        """The record of a page and those whose portal link, with its token, the page prints: a contract and the
        amendments it lists, an amendment and its contract, a request (its chatter); nothing for an unknown id."""
        record = request.env[model].sudo().browse(record_id).exists() if 0 < record_id < 2**31 else None
        if not record:
            return []
        if model == "it.contract":
            return [record, *record.amendment_ids.filtered_domain(cls._it_amendment_domain(record))]
        if model == "it.contract.amendment":
            return [record, record.contract_id]
        return [record]

    @staticmethod
    def _it_amendment_domain(contract):
        """The amendments of a contract its client sees: those sent to them, agreed or in force (not cancelled)."""
        return [
            ("contract_id", "=", contract.id), ("state", "!=", "cancelled"),
            "|", ("state", "!=", "draft"), ("acceptance_state", "!=", "to_send"),
        ]

    @staticmethod
    def _it_signer(record):
        """Who answers a document sent for acceptance: the logged-in contact, or the contact the document was sent
        to when a visitor who is not logged in answers through the mailed link (never the public user)."""
        user = request.env.user
        return record._it_document_recipient() if user._is_public() else user.partner_id

    # ------------------------------------------------------------------ contracts

    @http.route(["/my/it/contracts", "/my/it/contracts/page/<int:page>"], type="http", auth="user", website=True,
                readonly=True)
    def portal_my_it_contracts(self, page=1, **kw):
        return self._it_list(
            "it.contract", self._it_contract_domain(), "/my/it/contracts", page, "state, date_start desc",
            "it_contracts", "it_service_contracts.portal_my_it_contracts", "contracts",
        )

    @http.route("/my/it/contracts/<int:contract_id>", type="http", auth="public", website=True,
                readonly=_it_readonly_page("it.contract", "contract_id"))
    def portal_my_it_contract(self, contract_id, access_token=None, message=None, it_error=None, **kw):
        try:
            contract = self._it_own_contract(contract_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        values = self._prepare_portal_layout_values()
        values.update({
            "contract": contract, "page_name": "it_contract", "it_signer": self._it_signer(contract),
            "message": message if message in ("accepted", "refused") else None, "it_error": it_error,
            "ledger": contract.ledger_ids if "ledger_ids" in contract else [],
            "amendments": contract.amendment_ids.filtered_domain(self._it_amendment_domain(contract)),
            "periods": contract.period_ids.sorted("date_start", reverse=True)[:12],
        })
        return request.render("it_service_contracts.portal_my_it_contract", values)

    @http.route("/my/it/contracts/<int:contract_id>/document", type="http", auth="public", website=True,
                readonly=True)
    def portal_my_it_contract_document(self, contract_id, access_token=None, report_type="pdf", download=False,
                                       signed=False, **kw):
        """The contract document, or the copy the client signed."""
        try:
            contract = self._it_own_contract(contract_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        return self._it_document(contract, CONTRACT_REPORT, report_type, download, signed)

    @http.route("/my/it/contracts/<int:contract_id>/accept", type="jsonrpc", auth="public", methods=["POST"],
                website=True)
    def portal_my_it_contract_accept(self, contract_id, access_token=None, name=None, signature=None, **kw):
        """The client's contact accepts the contract with their name and drawn signature (portal.signature_form,
        which posts to the URL with the token in its query string)."""
        try:
            contract = self._it_own_contract(
                contract_id, access_token or request.httprequest.args.get("access_token"))
        except (AccessError, MissingError):
            return {"error": request.env._("This contract is not one of your company's.")}
        return self._it_accept(contract, name, signature)

    @http.route("/my/it/contracts/<int:contract_id>/refuse", type="http", auth="public", methods=["POST"],
                website=True)
    def portal_my_it_contract_refuse(self, contract_id, access_token=None, comment=None, **kw):
        """The client's contact refuses the contract, saying why."""
        try:
            contract = self._it_own_contract(contract_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        return self._it_refuse(contract, comment, lambda error: self.portal_my_it_contract(
            contract.id, access_token=access_token, it_error=error))

    # ------------------------------------------------------------------ amendments

    def _it_own_amendment(self, amendment_id, access_token=None):
        """The amendment if it is the contact's client's (or the link carries its token) and was sent to them; else
        an AccessError."""
        amendment = self._it_own("it.contract.amendment", amendment_id, access_token)
        if amendment.acceptance_state == "to_send" and amendment.state == "draft":
            raise AccessError(request.env._("This amendment is not available in your portal."))
        return amendment

    @http.route("/my/it/amendments/<int:amendment_id>", type="http", auth="public", website=True,
                readonly=_it_readonly_page("it.contract.amendment", "amendment_id"))
    def portal_my_it_amendment(self, amendment_id, access_token=None, message=None, it_error=None, **kw):
        try:
            amendment = self._it_own_amendment(amendment_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        values = self._prepare_portal_layout_values()
        values.update({
            "amendment": amendment, "page_name": "it_amendment", "it_error": it_error,
            "it_signer": self._it_signer(amendment),
            "message": message if message in ("accepted", "refused") else None,
        })
        return request.render("it_service_contracts.portal_my_it_amendment", values)

    @http.route("/my/it/amendments/<int:amendment_id>/document", type="http", auth="public", website=True,
                readonly=True)
    def portal_my_it_amendment_document(self, amendment_id, access_token=None, report_type="pdf", download=False,
                                        signed=False, **kw):
        try:
            amendment = self._it_own_amendment(amendment_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        return self._it_document(amendment, AMENDMENT_REPORT, report_type, download, signed)

    @http.route("/my/it/amendments/<int:amendment_id>/accept", type="jsonrpc", auth="public", methods=["POST"],
                website=True)
    def portal_my_it_amendment_accept(self, amendment_id, access_token=None, name=None, signature=None, **kw):
        try:
            amendment = self._it_own_amendment(
                amendment_id, access_token or request.httprequest.args.get("access_token"))
        except (AccessError, MissingError):
            return {"error": request.env._("This amendment is not one of your company's.")}
        return self._it_accept(amendment, name, signature)

    @http.route("/my/it/amendments/<int:amendment_id>/refuse", type="http", auth="public", methods=["POST"],
                website=True)
    def portal_my_it_amendment_refuse(self, amendment_id, access_token=None, comment=None, **kw):
        try:
            amendment = self._it_own_amendment(amendment_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        return self._it_refuse(amendment, comment, lambda error: self.portal_my_it_amendment(
            amendment.id, access_token=access_token, it_error=error))

    # ------------------------------------------------------------------ documents the client accepts

    def _it_document(self, record, report, report_type, download, signed):
        """The document of a contract or amendment, or the copy the client signed."""
        if signed:
            attachment = record.signed_document_id
            if not attachment:
                return request.not_found()
            return request.make_response(attachment.raw, headers=[
                ("Content-Type", attachment.mimetype or "application/pdf"),
                ("Content-Disposition", http.content_disposition(attachment.name)),
            ])
        if report_type not in ("html", "pdf"):
            return request.not_found()
        return self._show_report(record, report_type, report, download=download)

    def _it_accept(self, record, name, signature):
        try:
            self._it_check_input(name, signature)
            with request.env.cr.savepoint():
                record._it_accept(self._it_signer(record), name, signature)
        except (UserError, AccessError) as error:
            return {"error": error.args[0]}
        return {"force_refresh": True, "redirect_url": record.get_portal_url(query_string="&message=accepted")}

    def _it_refuse(self, record, comment, render_error):
        try:
            self._it_check_input(comment)
            with request.env.cr.savepoint():
                record._it_refuse(self._it_signer(record), comment)
        except (UserError, AccessError) as error:
            return render_error(error.args[0])
        return request.redirect(record.get_portal_url(query_string="&message=refused"))

    # ------------------------------------------------------------------ requests

    @http.route(["/my/it/requests", "/my/it/requests/page/<int:page>"], type="http", auth="user", website=True,
                readonly=True)
    def portal_my_it_requests(self, page=1, filterby="open", **kw):
        Task = request.env["project.task"]
        domain = Task._it_portal_domain(request.env.user.partner_id)
        filters = {
            "open": [("sla_resolution_date", "=", False)],
            "approval": [("it_approval_state", "=", "pending")],
            "visits": [("it_maintenance_plan_id", "!=", False)],
            "all": [],
        }
        filterby = filterby if filterby in filters else "open"
        order = "it_planned_date desc, id desc" if filterby == "visits" else "id desc"
        return self._it_list(
            "project.task", domain + filters[filterby], "/my/it/requests", page, order,
            "it_requests", "it_service_contracts.portal_my_it_requests", "tasks",
            extra={"filterby": filterby, "priority_labels": dict(
                Task._fields["priority"]._description_selection(request.env))},
            url_args={"filterby": filterby},
        )

    @http.route("/my/it/requests/new", type="http", auth="user", methods=["GET"], website=True, readonly=True)
    def portal_my_it_request_new(self, **kw):
        return request.render("it_service_contracts.portal_my_it_request_new", self._it_request_form_values(kw))

    def _it_request_form_values(self, posted, error=None):
        client = self._it_client()
        env = request.env
        values = self._prepare_portal_layout_values()
        values.update({
            "page_name": "it_request_new",
            "sites": env["project.task"]._it_portal_sites(client),
            "assets": env["it.asset"].sudo().search([("partner_id", "=", client.id)]),
            "contracts": env["it.contract"].sudo().search(
                Domain("partner_id", "=", client.id) & env["it.contract"]._it_running_condition()),
            "priorities": env["project.task"]._fields["priority"]._description_selection(env),
            "posted": posted,
            "error": error,
        })
        return values

    @http.route("/my/it/requests/new", type="http", auth="user", methods=["POST"], website=True)
    def portal_my_it_request_create(self, **post):
        # read no more of a file than the size a request accepts, plus a byte to know it is too large
        files = [
            (upload.filename, upload.read(PORTAL_MAX_ATTACHMENT_BYTES + 1))
            for upload in request.httprequest.files.getlist("attachments")[:PORTAL_MAX_ATTACHMENTS + 1]
            if upload.filename
        ]
        try:
            self._it_check_input(*(value for key, value in post.items() if key != "attachments"),
                                 *(name for name, _content in files))
            with request.env.cr.savepoint():
                task = request.env["project.task"]._it_portal_report(request.env.user.partner_id, post, files)
        except (ValidationError, UserError) as error:
            return request.render(
                "it_service_contracts.portal_my_it_request_new", self._it_request_form_values(post, error.args[0]),
            )
        return request.redirect(f"/my/it/requests/{task.id}")

    @http.route("/my/it/requests/<int:task_id>", type="http", auth="public", website=True,
                readonly=_it_readonly_page("project.task", "task_id"))
    def portal_my_it_request(self, task_id, access_token=None, **kw):
        try:
            task = self._it_own("project.task", task_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        task._portal_ensure_token()
        if not self._it_token_matches(task.access_token, access_token):
            access_token = None  # the client's own request: a stray token in the link is ignored
        values = {
            "it_task": task, "page_name": "it_request",
            "priority_labels": dict(task._fields["priority"]._description_selection(request.env)),
            # what a maintenance visit checked: the contact may not read the checks, the page reads them as the
            # system once the request is known to be their client's
            "it_checks": task.sudo().it_check_ids,
        }
        values = self._get_page_view_values(task, access_token, values, "my_it_requests_history", False, **kw)
        values["token"] = task.access_token  # the client answers in the chatter
        return request.render("it_service_contracts.portal_my_it_request", values)

    @http.route("/my/it/requests/<int:task_id>/approval", type="http", auth="user", methods=["POST"], website=True)
    def portal_my_it_request_approval(self, task_id, decision=None, comment=None, **kw):
        try:
            task = self._it_own("project.task", task_id)
        except (AccessError, MissingError):
            return request.redirect("/my")
        try:
            self._it_check_input(decision, comment)
            with request.env.cr.savepoint():
                task._it_decide_approval(
                    {"approve": "approved", "refuse": "refused"}.get(decision), request.env.user.partner_id,
                    (comment or "").strip(),
                )
        except (UserError, AccessError) as error:
            return self.portal_my_it_request(task.id, error=error.args[0])
        return request.redirect(f"/my/it/requests/{task.id}?message=decided")

    # ------------------------------------------------------------------ months, assets

    @http.route(["/my/it/months", "/my/it/months/page/<int:page>"], type="http", auth="user", website=True,
                readonly=True)
    def portal_my_it_months(self, page=1, **kw):
        return self._it_list(
            "it.contract.period", self._it_period_domain(), "/my/it/months", page, "date_start desc, id desc",
            "it_months", "it_service_contracts.portal_my_it_months", "periods",
        )

    @http.route("/my/it/months/<int:period_id>/<string:report>", type="http", auth="user", website=True,
                readonly=True)
    def portal_my_it_month_report(self, period_id, report, report_type="pdf", download=False, **kw):
        """The month's client report, or the usage statement of its invoice once the invoice is posted."""
        try:
            period = self._it_own("it.contract.period", period_id)
        except (AccessError, MissingError):
            return request.redirect("/my")
        if report_type not in ("html", "pdf"):
            return request.not_found()
        if report == "report":
            return self._show_report(period, report_type, "it_service_contracts.action_report_it_monthly_client",
                                     download=download)
        if report == "statement" and period.invoice_id.state == "posted":
            return self._show_report(period.invoice_id, report_type,
                                     "it_service_contracts.action_report_it_usage_statement", download=download)
        return request.not_found()

    @http.route(["/my/it/assets", "/my/it/assets/page/<int:page>"], type="http", auth="user", website=True,
                readonly=True)
    def portal_my_it_assets(self, page=1, **kw):
        return self._it_list(
            "it.asset", self._it_asset_domain(), "/my/it/assets", page, "site_id, name",
            "it_assets", "it_service_contracts.portal_my_it_assets", "assets",
        )
