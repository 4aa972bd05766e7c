from collections import defaultdict
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

import babel.dates
import pytz
from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.misc import babel_locale_parse, get_lang, posix_to_ldml

# set by the watch alone, around the activities it gives the service desk lead: a Python variable, not a context
# key, which any caller over RPC could set to keep a record's followers from being subscribed
_LEAD_NOT_FOLLOWING = ContextVar("it_sla_lead_not_following", default=False)


class ItSlaWatch(models.AbstractModel):
    """The scheduled SLA watch of the clock (design rule 7).

    A query on the partial indexes of the stored deadlines finds the requests whose SLA state may have changed
    or whose change was not notified yet; the clock's rule (``_it_sla_target_state``) decides their new state.
    """

    _inherit = "it.sla.clock"
    # the requests the message to the service desk lead names, the most urgent first; it links to the others
    _it_sla_lead_list_limit = 25

    _sla_watch_deadline_idx = models.Index("(sla_next_deadline) WHERE sla_state IN ('on_track', 'at_risk')")
    _sla_watch_risk_idx = models.Index("(sla_risk_date) WHERE sla_state = 'on_track'")
    _sla_watch_notify_idx = models.Index(
        "(id) WHERE sla_state IN ('at_risk', 'breached') AND sla_notified_state IS DISTINCT FROM sla_state"
    )

    @api.model
    def _it_sla_watch_query(self, now, limit=None, exclude=(), count=False):
        """The requests that passed their at-risk moment or deadline by ``now`` in their state, or whose state
        change was not notified yet (or how many there are): one query on the partial indexes."""
        self.env["project.task"].flush_model([
            "active", "sla_state", "sla_notified_state", "sla_next_deadline", "sla_risk_date",
        ])
        rows = self.env.execute_query(self._it_sla_watch_sql(now, limit=limit, exclude=exclude, count=count))
        if count:
            return rows[0][0]
        return self.env["project.task"].browse(task_id for (task_id,) in rows)

    @api.model
    def _it_sla_watch_sql(self, now, limit=None, exclude=(), count=False):
        """The query of ``_it_sla_watch_query`` (the benchmark explains it)."""
        where = SQL(
            """active AND (
                   (sla_state IN ('on_track', 'at_risk') AND sla_next_deadline < %(now)s)
                OR (sla_state = 'on_track' AND sla_risk_date <= %(now)s)
                OR (sla_state IN ('at_risk', 'breached') AND sla_notified_state IS DISTINCT FROM sla_state))
               AND id != ALL(%(exclude)s)""",
            now=now, exclude=list(exclude),
        )
        if count:
            return SQL("SELECT COUNT(*) FROM project_task WHERE %s", where)
        # the partial indexes give the requests due, then the first ones by id are taken: walking the table in
        # the order of the ids instead would read again, batch after batch, all the open requests passed already
        return SQL(
            "WITH due AS MATERIALIZED (SELECT id FROM project_task WHERE %s) SELECT id FROM due ORDER BY id LIMIT %s",
            where, limit,
        )

    @api.model
    def _cron_sla_watch(self, batch_size=1000):
        """Mark requests at risk or breached, and tell the technician and the service desk lead once per change.

        Batches are committed one by one; records another worker holds are skipped, a request whose
        notification fails is left for the next run, and a crashed run is simply run again: what was committed
        is not redone, what was not is found again by the query.
        """
        self.env["it.cron.batch"]._it_run(
            lambda limit, exclude: self._it_sla_watch_query(fields.Datetime.now(), limit=limit, exclude=exclude),
            lambda tasks: tasks._it_sla_watch_apply(fields.Datetime.now()), batch_size=batch_size,
            responsible=lambda task: task.user_ids[:1], label=self.env._("SLA watch"),
            remaining=lambda exclude: self._it_sla_watch_query(fields.Datetime.now(), exclude=exclude, count=True),
        )

    def _it_sla_watch_apply(self, now):
        """Bring the requests' SLA state to ``now`` and notify each state at risk or breached once: the
        activities of both states together, then the new state and the state notified written together, one
        write per state (all in the batch's savepoint: a failed notification leaves none of it, and the next run
        notifies once)."""
        # the SLA fields are not tracked: no need to prepare the tracking of every tracked field of the request
        tasks = self.sudo().with_context(mail_notrack=True)
        vals_by_id = tasks._it_sla_state_vals(now)
        pending = defaultdict(list)
        for task in tasks:
            vals = vals_by_id.get(task.id, {})
            state = vals.get("sla_state", task.sla_state)
            if state in ("at_risk", "breached") and vals.get("sla_notified_state", task.sla_notified_state) != state:
                pending[state].append(task.id)
                vals_by_id[task.id] = dict(vals, sla_notified_state=state)
        if pending:
            # notified in the caller's context
            self.sudo()._it_sla_notify({state: self.sudo().browse(ids) for state, ids in pending.items()}, now)
        tasks._it_write_sla_grouped(vals_by_id)

    def _it_sla_notify(self, pending, now):
        """For each request of ``pending`` (``{state: requests}`` at ``now``): an activity for the responsible
        technician, shown in the request's chatter and in the technician's activities (the request keeps its SLA
        record: deadlines, at-risk moments, state); and one message to each service desk lead naming the batch's
        requests (the costly mail rendering is done once a batch). Activities of all states are created
        together."""
        activity_type = self.env.ref("it_service_contracts.mail_activity_type_sla_alert", raise_if_not_found=False)
        today = fields.Date.context_today(self)
        tasks = self.browse([task_id for group in pending.values() for task_id in group.ids])
        existing = {}
        if activity_type:
            for activity in self.env["mail.activity"].sudo().search([
                ("res_model", "=", self._name), ("res_id", "in", tasks.ids),
                ("activity_type_id", "=", activity_type.id),
            ]):
                existing.setdefault(activity.res_id, activity)
        model_id = self.env["ir.model"]._get_id(self._name)
        lang = get_lang(self.env).code
        summarize = self._it_sla_summarizer(now, lang)
        summaries = {}
        new_activities = defaultdict(list)  # follow (whether the user is to follow the request): values
        updates = defaultdict(list)  # (user id, summary, follow): activities to update
        leads = defaultdict(lambda: defaultdict(list))  # lead: state: requests
        for state, group in pending.items():
            for task in group:
                lead = task.company_id.it_service_desk_lead_id
                summary = summaries[task.id] = summarize(task, state)
                assignee = task.user_ids[:1]
                user = assignee or lead or task.project_id.user_id
                if user and activity_type:
                    if task.id in existing:
                        updates[user.id, summary, bool(assignee)].append(existing[task.id].id)
                    else:
                        new_activities[bool(assignee)].append({
                            "activity_type_id": activity_type.id, "summary": summary, "user_id": user.id,
                            "date_deadline": today, "res_model_id": model_id, "res_id": task.id, "automated": True,
                            # the activity computes its document name again, request by request: the names read
                            # here for the whole batch spare it a query each
                            "res_name": task.display_name,
                        })
                if lead:
                    leads[lead][state].append(task)
        # the activity shows in the technician's activities; no e-mail per request. Odoo makes whoever is given
        # an activity follow the request: the technician does; the service desk lead, given the activities of
        # the requests nobody is assigned to, does not (the lead is told of them in one message per batch, and
        # following each of them would bring the lead every later message on them)
        Activity = self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True)
        for follow, vals_list in new_activities.items():
            with self._it_lead_not_following(not follow):
                Activity.create(vals_list)
        by_user = defaultdict(list)
        for (user_id, summary, follow), activity_ids in updates.items():
            by_user[user_id, follow].extend(activity_ids)
            Activity.browse(activity_ids).write({"summary": summary})
        for (user_id, follow), activity_ids in by_user.items():
            with self._it_lead_not_following(not follow):
                Activity.browse(activity_ids).write({"user_id": user_id, "date_deadline": today})
        self._it_sla_mail_leads(leads, now, {lang: summaries})

    def _it_sla_summarizer(self, now, lang_code):
        """``summary(request, state)``: the text of the alert of a request entering ``state`` at ``now``, words and
        deadline in one language: the one Odoo's get_lang gives for ``lang_code`` (the company's when that one is
        not installed; a user's or the scheduler's may not be). What Odoo's ``format_datetime`` would work out for
        every request (the language, its date pattern, the time zone) is worked out once: it was a tenth of a
        watch run."""
        lang = get_lang(self.env, lang_code)
        env = self.with_context(lang=lang.code).env
        locale = babel_locale_parse(lang.code)
        pattern = f"{posix_to_ldml(lang.date_format, locale=locale)} {posix_to_ldml(lang.time_format, locale=locale)}"
        pattern = pattern.replace(":ss", "").replace(":s", "")  # to the minute, as Odoo's hide_seconds
        texts = {
            "at_risk": env._("SLA at risk: due %(deadline)s"),
            "breached": env._("SLA breached (was due %(deadline)s)"),
        }
        zones, formatted = {}, {}

        def when(deadline, tz_name):
            """The deadline in the calendar's time zone (the user's, else UTC, as format_datetime)."""
            if tz_name not in zones:
                zones[tz_name] = pytz.timezone(tz_name or self.env.user.tz or "UTC")
            localized = pytz.utc.localize(deadline).astimezone(zones[tz_name])
            return babel.dates.format_datetime(localized, pattern, locale=locale)

        def summary(task, state):
            deadline, tz = task._it_sla_alert_deadline(state, now), task._it_calendar().tz
            if deadline and (deadline, tz) not in formatted:
                formatted[deadline, tz] = when(deadline, tz)
            return texts[state] % {"deadline": formatted[deadline, tz] if deadline else ""}

        return summary

    @contextmanager
    def _it_lead_not_following(self, active=True):
        """The activities created or reassigned in this block do not make their user follow the request."""
        token = _LEAD_NOT_FOLLOWING.set(active)
        try:
            yield
        finally:
            _LEAD_NOT_FOLLOWING.reset(token)

    def message_subscribe(self, partner_ids=None, subtype_ids=None):
        """The SLA watch's activities for requests nobody is assigned to do not make their user follow them."""
        if _LEAD_NOT_FOLLOWING.get():
            return True
        return super().message_subscribe(partner_ids=partner_ids, subtype_ids=subtype_ids)

    def _it_sla_mail_leads(self, leads, now, summaries_by_lang):
        """One message per service desk lead and batch: for each state, the batch's most urgent requests (up to
        ``_it_sla_lead_list_limit``, a link to the list of all of them beyond). The template is rendered once per
        lead and state, in the lead's language as Odoo's get_lang gives it, and so are the requests' summaries.

        :param leads: ``{lead: {state: requests}}``
        :param summaries_by_lang: ``{language: {request id: summary}}``, completed here for the leads' languages
        """
        template = self.env.ref("it_service_contracts.mail_template_it_sla_alert")
        for lead, by_state in leads.items():
            lang = get_lang(self.env, lead.lang).code
            summaries = summaries_by_lang.setdefault(lang, {})
            template_lang = template.with_context(lang=lang)
            subject, body, summarize = None, Markup(), None
            for state in ("breached", "at_risk"):
                batch = by_state.get(state)
                if not batch:
                    continue
                tasks = self.browse([task.id for task in batch]).sorted(
                    lambda task, state=state: task._it_sla_alert_deadline(state, now) or datetime.max,
                )[:self._it_sla_lead_list_limit]
                missing = tasks.filtered(lambda task, summaries=summaries: task.id not in summaries)
                if missing:
                    summarize = summarize or self._it_sla_summarizer(now, lang)
                    summaries.update((task.id, summarize(task, state)) for task in missing)
                values = {"tasks": tasks, "summaries": summaries, "state": state}
                state_subject, state_body = (
                    template_lang._render_field(name, tasks[:1].ids, add_context=values)[tasks[:1].id]
                    for name in ("subject", "body_html")
                )
                subject = subject or state_subject  # the most urgent state's, as the body begins with it
                body += state_body
                if len(batch) > len(tasks):  # said here, not in the template, which a firm may have changed
                    body += tasks[:1]._it_sla_more_requests(len(batch) - len(tasks), lang)
            # the costly part is the notification itself (its e-mail layout): one for both states
            self.env["mail.thread"].sudo().message_notify(
                partner_ids=lead.partner_id.ids, subject=subject, body=body, subtype_xmlid="mail.mt_note",
            )

    def _it_sla_more_requests(self, count, lang):
        """The paragraph closing a message to the lead that names only the most urgent requests (the first of
        them gives the link its address)."""
        env = self.with_context(lang=lang).env
        link = Markup('<a href="%s">%s</a>') % (
            self.get_base_url() + "/odoo/action-it_service_contracts.it_sla_attention_request_action",
            env._("all the requests at risk or breached"),
        )
        return Markup("<p>%s</p>") % env._("And %(count)s more: %(link)s.", count=count, link=link)
