"""IAM console: Policy simulator — pick a user, group or role of the account (or paste a
custom policy), actions, optional resources and context keys, "Run simulation", and read
each action's decision with the statements that made it, highlighted in their policy.

The simulation is iam:SimulatePrincipalPolicy or iam:SimulateCustomPolicy through
``console.actions.run``; the highlighted policy texts are fetched with the same Get*
calls the AWS console makes, so a principal only sees policies it may read."""

import json
import re
from urllib.parse import unquote

from django import forms
from django.contrib import messages
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from console.actions import run
from iam.listing import all_pages
from iam.operations.simulate import position_offsets, statement_spans

CUSTOM = "custom"
SERVICES = [
    ("", "All services"),
    ("iam", "IAM"),
    ("s3", "Amazon S3"),
    ("ec2", "Amazon EC2"),
    ("sts", "AWS STS"),
    ("cloudtrail", "AWS CloudTrail"),
]
# The global condition keys the page offers, with their ContextKeyType.
CONTEXT_KEYS = [
    ("aws:MultiFactorAuthPresent", "boolean"),
    ("aws:SourceIp", "ip"),
    ("aws:CurrentTime", "date"),
    ("aws:username", "string"),
]
SPLIT = re.compile(r"[\s,]+")


class SimulatorForm(forms.Form):
    policy_source = forms.ChoiceField(label="Users, Groups, and Roles")
    custom_policy = forms.CharField(
        label="Custom policy",
        required=False,
        strip=False,
        max_length=131072,
        widget=forms.Textarea(attrs={"rows": 12, "class": "code", "spellcheck": "false"}),
    )
    service = forms.ChoiceField(label="Select service", choices=SERVICES, required=False)
    actions = forms.CharField(
        label="Select actions",
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "iam:CreateUser, s3:ListAllMyBuckets"}),
    )
    resource_arns = forms.CharField(
        label="Resources - optional",
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "arn:aws:s3:::example-bucket/*"}),
    )
    mfa = forms.ChoiceField(
        label="aws:MultiFactorAuthPresent",
        choices=[("", "Not set"), ("true", "true"), ("false", "false")],
        required=False,
    )
    source_ip = forms.CharField(label="aws:SourceIp", required=False, max_length=64)
    current_time = forms.CharField(
        label="aws:CurrentTime",
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": "2026-11-29T12:00:00Z"}),
    )
    username = forms.CharField(label="aws:username", required=False, max_length=128)

    def __init__(self, *args, sources=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policy_source"].choices = [(CUSTOM, "Custom policy")] + list(sources)

    def clean(self):
        data = super().clean()
        if data.get("policy_source") == CUSTOM and not (data.get("custom_policy") or "").strip():
            self.add_error("custom_policy", "Enter a policy to simulate.")
        service = data.get("service") or ""
        names = []
        for name in SPLIT.split(data.get("actions") or ""):
            if not name:
                continue
            if ":" not in name:
                if not service:
                    self.add_error("actions", f"Action {name} must include a service prefix, such as iam:CreateUser.")
                    continue
                name = f"{service}:{name}"
            names.append(name)
        if not names and "actions" not in self.errors:
            self.add_error("actions", "Select at least one action.")
        data["action_names"] = names
        data["resource_list"] = [arn for arn in SPLIT.split(data.get("resource_arns") or "") if arn]
        data["context_entries"] = self._context(data)
        return data

    def _context(self, data):
        values = {
            "aws:MultiFactorAuthPresent": data.get("mfa"),
            "aws:SourceIp": (data.get("source_ip") or "").strip(),
            "aws:CurrentTime": (data.get("current_time") or "").strip(),
            "aws:username": (data.get("username") or "").strip(),
        }
        entries = [
            {"ContextKeyName": key, "ContextKeyValues": [values[key]], "ContextKeyType": kind}
            for key, kind in CONTEXT_KEYS
            if values[key]
        ]
        keys = self.data.getlist("context_key") if hasattr(self.data, "getlist") else []
        extra_values = self.data.getlist("context_value") if hasattr(self.data, "getlist") else []
        for key, value in zip(keys, extra_values):
            key, value = key.strip()[:256], value.strip()[:1024]
            if key and value:
                kind = "stringList" if "," in value else "string"
                entries.append(
                    {
                        "ContextKeyName": key,
                        "ContextKeyValues": [v.strip() for v in value.split(",")],
                        "ContextKeyType": kind,
                    }
                )
        return entries


def _sources(request):
    """The account's users, groups and roles as (ARN, label) choices, grouped, and the
    first refusal to list them."""
    choices = []
    refusal = None
    for action, key, name_key, label in (
        ("iam:ListUsers", "Users", "UserName", "Users"),
        ("iam:ListGroups", "Groups", "GroupName", "Groups"),
        ("iam:ListRoles", "Roles", "RoleName", "Roles"),
    ):
        items, error = all_pages(request, action, key)
        refusal = refusal or error
        if items:
            choices.append((label, [(item["Arn"], item[name_key]) for item in items]))
    return choices, refusal


def _entity(arn):
    """("user" | "group" | "role", name) of an entity ARN."""
    kind, _, rest = arn.split(":", 5)[5].partition("/")
    return kind, rest.rsplit("/", 1)[-1]


class _PolicyTexts:
    """The text of each policy a result cites, fetched once with the console's Get*
    calls; None when the principal may not read it."""

    def __init__(self, request, source, custom_policy):
        self.request = request
        self.source = source
        self.custom_policy = custom_policy
        self.cache = {}
        self.managed = None

    def text(self, source_type, source_id):
        key = (source_type, source_id)
        if key not in self.cache:
            self.cache[key] = self._fetch(source_type, source_id)
        return self.cache[key]

    def _run(self, action, params, member):
        result, error = run(self.request, action, params)
        return None if error else unquote(result[member])

    def _fetch(self, source_type, source_id):
        if source_type == "none":
            return self.custom_policy if source_id == "PolicyInputList.1" else None
        if self.source == CUSTOM:
            return None
        kind, name = _entity(self.source)
        if source_type in ("user", "role") and kind == source_type:
            action = "iam:GetUserPolicy" if kind == "user" else "iam:GetRolePolicy"
            params = {"UserName" if kind == "user" else "RoleName": name, "PolicyName": source_id}
            return self._run(action, params, "PolicyDocument")
        if source_type == "group":
            groups = [name] if kind == "group" else []
            if kind == "user":
                found, _ = all_pages(self.request, "iam:ListGroupsForUser", "Groups", {"UserName": name})
                groups = [g["GroupName"] for g in found or []]
            for group in groups:
                names, _ = all_pages(self.request, "iam:ListGroupPolicies", "PolicyNames", {"GroupName": group})
                if source_id in (names or []):
                    params = {"GroupName": group, "PolicyName": source_id}
                    return self._run("iam:GetGroupPolicy", params, "PolicyDocument")
            return None
        if source_type in ("aws-managed", "user-managed"):
            if self.managed is None:
                policies, _ = all_pages(self.request, "iam:ListPolicies", "Policies", {"Scope": "All"})
                self.managed = {p["PolicyName"]: p for p in policies or []}
            policy = self.managed.get(source_id)
            if policy is None:
                return None
            result, error = run(
                self.request,
                "iam:GetPolicyVersion",
                {"PolicyArn": policy["Arn"], "VersionId": policy["DefaultVersionId"]},
            )
            return None if error else unquote(result["PolicyVersion"]["Document"])
        return None


def _statement_view(texts, matched):
    """A matched statement for display: its policy, Sid, index and the policy text split
    around the statement so the template can highlight it."""
    view = {"policy": matched["SourcePolicyId"], "type": matched["SourcePolicyType"]}
    text = texts.text(matched["SourcePolicyType"], matched["SourcePolicyId"])
    if not text or "StartPosition" not in matched:
        return view
    start, end = position_offsets(text, matched["StartPosition"], matched["EndPosition"])
    spans = statement_spans(text)
    index = next((i for i, (s, _) in enumerate(spans) if s == start), None)
    snippet = text[start : end + 1]
    try:
        sid = json.loads(snippet).get("Sid")
    except (ValueError, AttributeError):
        sid = None
    view.update({"index": index, "sid": sid, "block": False})
    # A statement on lines of its own is highlighted as whole lines, as the AWS console's
    # editor does; one sharing a line with other text is highlighted inline.
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end == -1 else line_end
    if not text[line_start:start].strip() and text[end + 1 : line_end].strip() in ("", ","):
        # The newline goes inside the block, or it would render as an empty line.
        start, end, view["block"] = line_start, min(line_end, len(text) - 1), True
    view.update({"before": text[:start], "statement": text[start : end + 1], "after": text[end + 1 :]})
    return view


def _results(request, data, texts):
    params = {"ActionNames": data["action_names"]}
    if data["resource_list"]:
        params["ResourceArns"] = data["resource_list"]
    if data["context_entries"]:
        params["ContextEntries"] = data["context_entries"]
    if data["policy_source"] == CUSTOM:
        action = "iam:SimulateCustomPolicy"
        params["PolicyInputList"] = [data["custom_policy"]]
    else:
        action = "iam:SimulatePrincipalPolicy"
        params["PolicySourceArn"] = data["policy_source"]
    params["MaxItems"] = 1000
    result, error = run(request, action, params)
    if error:
        return None, error
    rows = []
    for evaluation in result["EvaluationResults"]:
        decision = evaluation["EvalDecision"]
        rows.append(
            {
                "service": evaluation["EvalActionName"].split(":", 1)[0],
                "action": evaluation["EvalActionName"],
                "resource": evaluation["EvalResourceName"],
                "decision": decision,
                "permission": "allowed" if decision == "allowed" else "denied",
                "statements": [_statement_view(texts, m) for m in evaluation.get("MatchedStatements", [])],
                "missing": evaluation.get("MissingContextValues", []),
                "boundary": evaluation.get("PermissionsBoundaryDecisionDetail"),
            }
        )
    return rows, None


@require_http_methods(["GET", "POST"])
def policy_simulator(request):
    """The IAM policy simulator page and its results."""
    sources, refusal = _sources(request)
    if refusal and request.method == "GET":
        messages.error(request, refusal.message)
    form = SimulatorForm(request.POST or None, sources=sources)
    context = {"form": form, "nav": "policy-simulator"}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            texts = _PolicyTexts(request, data["policy_source"], data["custom_policy"])
            rows, error = _results(request, data, texts)
            if error:
                field = "custom_policy" if error.code == "MalformedPolicyDocument" else None
                form.add_error(field, error.message)
                status = 400
            else:
                context["results"] = rows
        else:
            status = 400
    return render(request, "iam/simulator/simulator.html", context, status=status)
