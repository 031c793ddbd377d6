"""Chaperone approvals: the checks on an application, and how long an approval lasts.

Sources:

- Children (Performances and Activities) (England) Regulations 2014, SI 2014/3309 reg 15:
  the licensing authority approves a chaperone to have care and control of a licensed child,
  and must not approve a person unless satisfied that they are suitable and competent to
  exercise proper care and control of a child of that age and sex (reg 15(4), as summarised
  by the National Network for Children in Employment and Entertainment; the text was not
  quoted here). Children and Young Persons Act 1963 s37 is the licensing power it serves.
- The checks that make a person "suitable and competent" are council practice, not figures
  in the regulations, and are marked unconfirmed:
  - aged 18 or over on the day the application is received;
  - an enhanced DBS certificate with a children's barred list check, issued, or checked on
    the DBS Update Service, within the three months before the decision;
  - two references;
  - safeguarding or chaperone training recorded (a warning: approval may be given on the
    condition that it is completed).
- A DBS certificate number has 12 digits (DBS online help, "How do I let an organisation
  carry out a status check on my DBS certificate?": "the certificate's 12-digit reference
  number").
- An approval lasts three years (council practice), ending the day before the third
  anniversary of approval; an approval given on 29 February reaches that anniversary on
  1 March in a common year (as an age is attained, Family Law Reform Act 1969 s9), so it
  ends on 28 February. The chaperone is reminded 60 days before it ends (council practice).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from app.rules.calendar import add_calendar_months
from app.rules.licensing import Finding, Severity
from app.rules.retention import birthday
from app.rules.school_age import age_on

REGULATION = "SI 2014/3309 reg 15"
COUNCIL_PRACTICE = "council practice"

#: An approval lasts this many years (council practice).
APPROVAL_YEARS = 3
#: The chaperone is reminded this many days before the approval ends (council practice).
REMINDER_DAYS_BEFORE = 60
#: A chaperone must be at least this age when the application is received (council practice).
ADULT_AGE = 18
#: The DBS certificate, or its Update Service check, must be this recent (council practice).
DBS_RECENT_MONTHS = 3
#: References needed (council practice).
MIN_REFERENCES = 2
#: Digits in a DBS certificate number.
DBS_CERTIFICATE_DIGITS = 12


@dataclass(frozen=True, slots=True)
class ChaperoneApplication:
    date_of_birth: date | None
    received_on: date
    #: Enhanced DBS certificate with the children's barred list: 12 digits.
    dbs_certificate_number: str | None
    dbs_issued_on: date | None
    update_service_checked_on: date | None
    references_received: int
    training_completed_on: date | None


def check_chaperone(application: ChaperoneApplication, today: date) -> list[Finding]:
    """Every finding for a chaperone application decided on ``today``."""
    a = application
    findings: list[Finding] = []
    council = f"{REGULATION}(4); {COUNCIL_PRACTICE}"

    if a.date_of_birth is None:
        findings.append(
            Finding(
                rule="chaperone.date_of_birth",
                severity=Severity.BLOCKING,
                source=council,
                message="Give the applicant's date of birth, so the council can check they "
                f"are {ADULT_AGE} or over.",
                where="/date_of_birth",
                confirmed=False,
            )
        )
    else:
        age = age_on(a.date_of_birth, a.received_on)
        if age < ADULT_AGE:
            findings.append(
                Finding(
                    rule="chaperone.adult",
                    severity=Severity.BLOCKING,
                    source=council,
                    message=f"A chaperone must be {ADULT_AGE} or over; the applicant was "
                    f"{age} when the application was received on {a.received_on.isoformat()}.",
                    where="/date_of_birth",
                    confirmed=False,
                    facts={"age": age, "minimum_age": ADULT_AGE},
                )
            )

    number = (a.dbs_certificate_number or "").replace(" ", "")
    if not (len(number) == DBS_CERTIFICATE_DIGITS and number.isascii() and number.isdigit()):
        findings.append(
            Finding(
                rule="chaperone.dbs_certificate",
                severity=Severity.BLOCKING,
                source=f"{council}; DBS certificate format",
                message=(
                    "Give the number of an enhanced DBS certificate with a children's barred "
                    f"list check: {DBS_CERTIFICATE_DIGITS} digits."
                    if not number
                    else f"A DBS certificate number has {DBS_CERTIFICATE_DIGITS} digits; the "
                    "number given does not."
                ),
                where="/dbs_certificate_number",
                facts={"digits_required": DBS_CERTIFICATE_DIGITS},
            )
        )

    since = dbs_recent_since(today)
    if not any(
        checked is not None and since <= checked <= today
        for checked in (a.dbs_issued_on, a.update_service_checked_on)
    ):
        findings.append(
            Finding(
                rule="chaperone.dbs_recent",
                severity=Severity.BLOCKING,
                source=council,
                message=(
                    f"The DBS certificate must have been issued, or checked on the DBS Update "
                    f"Service, within the last {DBS_RECENT_MONTHS} months (on or after "
                    f"{since.isoformat()}); check it on the Update Service or ask for a new "
                    "certificate."
                ),
                where="/dbs_issued_on",
                confirmed=False,
                facts={"since": since.isoformat(), "months": DBS_RECENT_MONTHS},
            )
        )

    if a.references_received < MIN_REFERENCES:
        findings.append(
            Finding(
                rule="chaperone.references",
                severity=Severity.BLOCKING,
                source=council,
                message=f"{MIN_REFERENCES} references are needed; "
                f"{a.references_received} received.",
                where="/references_received",
                confirmed=False,
                facts={"received": a.references_received, "required": MIN_REFERENCES},
            )
        )

    if a.training_completed_on is None:
        findings.append(
            Finding(
                rule="chaperone.training",
                severity=Severity.WARNING,
                source=council,
                message="No safeguarding or chaperone training is recorded; approve only on "
                "condition that it is completed.",
                where="/training_completed_on",
                confirmed=False,
            )
        )
    return findings


def dbs_recent_since(today: date) -> date:
    """The earliest issue or Update Service check date still recent on ``today``: the same
    date three months before (or that month's last day where it has no such date)."""
    return add_calendar_months(today, -DBS_RECENT_MONTHS)


def approval_expires_on(approved_on: date) -> date:
    """The last day of an approval: the day before its third anniversary (an approval of
    29 February 2024 reaches it on 1 March 2027, so ends on 28 February 2027)."""
    return birthday(approved_on, APPROVAL_YEARS) - timedelta(days=1)


def reminder_due_on(expires_on: date) -> date:
    """When to remind the chaperone that their approval is ending."""
    return expires_on - timedelta(days=REMINDER_DAYS_BEFORE)
