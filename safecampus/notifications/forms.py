"""Forms of the notification preferences, group robot and delivery log pages. The checks
that matter are the services'; these only parse."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from safecampus.core.forms import bootstrap

from .models import Attempts, Delivery, GroupRobot


class PreferenceForm(forms.Form):
    email_enabled = forms.BooleanField(label=_("E-mail me"), required=False)
    digest = forms.BooleanField(
        label=_("Daily digest"), required=False,
        help_text=_("One e-mail a day at 08:00 listing the non-urgent notifications, instead "
                    "of one e-mail each."))
    sms_enabled = forms.BooleanField(label=_("Text me (SMS)"), required=False)
    phone = forms.CharField(label=_("Mobile phone"), required=False, max_length=40,
                            widget=forms.TextInput(attrs={"inputmode": "tel",
                                                          "autocomplete": "tel"}))
    quiet_start = forms.TimeField(label=_("Quiet hours from"), required=False,
                                  widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    quiet_end = forms.TimeField(
        label=_("Quiet hours until"), required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    #: shown under both quiet-hour fields
    quiet_help = _("Beijing time; may run past midnight, e.g. 22:00 to 07:00. E-mails and "
                   "text messages wait until the end; urgent ones are sent at once and the "
                   "inbox is always immediate.")

    def __init__(self, *args, has_email: bool = True, **kwargs):
        """``has_email`` False: the e-mail and digest choices are shown disabled and
        unticked (nothing can be e-mailed to the user)."""
        super().__init__(*args, **kwargs)
        if not has_email:
            for name in ("email_enabled", "digest"):
                self.fields[name].disabled = True
                self.initial[name] = False
        bootstrap(self)


class RobotForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("group robot", "Name"), max_length=100,
                           help_text=_("e.g. the security office duty group."))
    kind = forms.ChoiceField(label=pgettext_lazy("group robot", "Kind"),
                             choices=GroupRobot.Kind.choices)
    webhook_url = forms.CharField(
        label=_("Webhook URL"), max_length=500,
        widget=forms.TextInput(attrs={"inputmode": "url", "spellcheck": "false"}),
        help_text=_("The robot's address from the group settings (https://…)."))
    secret = forms.CharField(
        label=_("Signing secret"), max_length=200, required=False, strip=True,
        widget=forms.PasswordInput(render_value=False,
                                   attrs={"spellcheck": "false", "autocomplete": "new-password"}),
        help_text=_("DingTalk signing (加签) or Feishu signature secret; leave empty when not "
                    "used."))
    clear_secret = forms.BooleanField(label=_("Remove the signing secret"), required=False)
    campus = forms.ModelChoiceField(label=_("Campus"), queryset=None, required=False,
                                    empty_label=_("Every campus"))
    topics = forms.MultipleChoiceField(label=_("Topics"), choices=GroupRobot.Topic.choices,
                                       required=False, widget=forms.CheckboxSelectMultiple)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, robot=None, **kwargs):
        """``robot``: the robot being changed (None: a new one). Its webhook URL and secret
        are never shown: empty fields keep them."""
        from safecampus.organisation.models import Campus

        super().__init__(*args, **kwargs)
        self.fields["campus"].queryset = Campus.objects.all()  # the model's ordering
        if robot is None:
            del self.fields["clear_secret"]
        else:
            url = self.fields["webhook_url"]
            url.required = False
            url.widget.attrs["placeholder"] = robot.masked_url
            url.help_text = _("Leave empty to keep the current address (shown masked).")
            if robot.secret:
                self.fields["secret"].help_text = _("A secret is stored. Leave empty to keep "
                                                    "it unchanged.")
            else:
                del self.fields["clear_secret"]
        bootstrap(self)
        self.fields["topics"].widget.attrs["class"] = "form-check-input"


class DeliveryFilterForm(forms.Form):
    """``channel``: "" (e-mail and SMS), ``email``, ``sms``, ``robot`` or ``digest``;
    ``state``."""

    ROBOT = "robot"
    DIGEST = "digest"
    channel = forms.ChoiceField(
        label=_("Channel"), required=False,
        choices=[("", _("E-mail and SMS")), (Delivery.Channel.EMAIL, _("E-mail")),
                 (Delivery.Channel.SMS, _("SMS")), (ROBOT, _("Group robots")),
                 (DIGEST, _("Daily digests"))])
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("Any state")), *Attempts.State.choices])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)
        for field in self.fields.values():
            field.widget.attrs["class"] += " form-select-sm"
