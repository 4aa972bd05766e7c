from odoo import api, models
from odoo.exceptions import UserError

# The addon's own code paths carry this object in the context to write the fields it alone maintains.
# A context that arrives over RPC is JSON: it can carry the key, never this object, and the check is `is`.
_ADDON_WRITE = object()
_CONTEXT_KEY = "it_addon_write"


class ItProtectedFieldsMixin(models.AbstractModel):
    """Fields that only the addon writes (classification, counters, SLA bookkeeping, invoice links): the one
    write guard of design rule 9.

    Guarded are, by construction, every stored field the addon computes or relates on a model that inherits
    this (unless the field is meant to be edited: ``readonly=False``), plus the plain fields the model lists in
    ``_it_protected_fields``; every model of the addon with such fields inherits this (a test holds it). This
    model's ``create`` and ``write`` refuse them, whoever calls (form, import, RPC, any ``default_*`` or other
    context key; the ``default_*`` key of a related field is dropped instead). The addon writes them with
    ``_it_addon_write(vals)``, ``_it_addon_create(vals_list)`` or, for several calls, on ``self._it_addon_env()``;
    the records returned to callers are in the caller's environment, so the permission never leaks out.
    """

    _name = "it.protected.fields.mixin"
    _description = "Fields Written by the IT Services Addon Only"

    _it_protected_fields = frozenset()

    @api.model
    def _it_guarded_fields(self):
        """The fields only the addon writes on this model (read once per registry)."""
        cls = type(self)
        if "_it_guarded" not in cls.__dict__:
            cls._it_guarded = frozenset(self._it_protected_fields) | frozenset(
                name for name, field in self._fields.items()
                if field.store and (field.compute or field.related) and field.readonly and not field.inverse
                and field._module == "it_service_contracts"
            )
        return cls._it_guarded

    @api.model
    def _it_link_default_keys(self):
        """The ``default_<field>`` context keys of the guarded related fields (read once per registry)."""
        cls = type(self)
        if "_it_link_defaults" not in cls.__dict__:
            cls._it_link_defaults = frozenset(
                f"default_{name}" for name in self._it_guarded_fields() if self._fields[name].related
            )
        return cls._it_link_defaults

    @api.model_create_multi
    def create(self, vals_list):
        self._it_check_protected_fields(vals_list, create=True)
        return super(ItProtectedFieldsMixin, self._it_without_link_defaults()).create(vals_list).with_env(self.env)

    def write(self, vals):
        self._it_check_protected_fields([vals])
        return super().write(vals)

    def _it_without_link_defaults(self):
        """This model without the ``default_<field>`` context keys of its guarded related fields: such a field
        follows its link, and the key of a parent form's context (a client's, a company's), which Odoo passes on to
        the records made inside it, neither sets it nor refuses the record."""
        keys = self._it_link_default_keys()
        if keys.isdisjoint(self.env.context):
            return self
        # a new environment rather than with_context(), which can only add keys
        context = {key: value for key, value in self.env.context.items() if key not in keys}
        return self.with_env(self.env(context=context))

    def _it_addon_env(self):
        """These records in an environment allowed to write the protected fields (addon code only)."""
        return self.with_context(**{_CONTEXT_KEY: _ADDON_WRITE})

    def _it_is_addon_write(self):
        return self.env.context.get(_CONTEXT_KEY) is _ADDON_WRITE

    def _it_addon_write(self, vals):
        return self._it_addon_env().write(vals)

    def _it_addon_create(self, vals_list):
        return self._it_addon_env().create(vals_list).with_env(self.env)

    def _it_written_values(self, vals, names):
        """``{name: value}``: what ``vals`` would give this record's fields ``names`` (those in ``vals``), as the
        record would read it, to compare with what it has: a form or an import that sends a record its own values
        changes nothing, and the guards of the addon's records let that through."""
        self.ensure_one()
        fields_ = self._fields
        return {
            name: fields_[name].convert_to_record(fields_[name].convert_to_cache(vals[name], self), self)
            for name in names if name in vals
        }

    def _it_changed_fields(self, vals, names):
        """The fields among ``names`` that ``vals`` really changes on this record (:meth:`_it_written_values`)."""
        return [name for name, value in self._it_written_values(vals, names).items() if self[name] != value]

    def _it_protected_message(self, names):
        """The refusal users read; a model can explain its own rule."""
        return self.env._(
            "%(fields)s of %(model)s are maintained by the IT services addon and cannot be set by hand.",
            fields=", ".join(names), model=self._description,
        )

    def _it_check_protected_fields(self, vals_list, create=False):
        """Refuse ``create``/``write`` values that set a protected field, unless the addon itself writes;
        on ``create``, also a ``default_<field>`` context key, which Odoo would turn into a value."""
        if self._it_is_addon_write():
            return
        guarded = self._it_guarded_fields()
        touched = {name for vals in vals_list for name in vals if name in guarded}
        if create:
            links = self._it_link_default_keys()
            touched.update(
                name for name in guarded
                if self.env.context.get(f"default_{name}") is not None and f"default_{name}" not in links
            )
        if touched:
            for name in touched:  # a user who may not even write the field is told so first, as Odoo does
                self._check_field_access(self._fields[name], "write")
            names = sorted(self._fields[name]._description_string(self.env) for name in touched)
            raise UserError(self._it_protected_message(names))
