"""Rules and field types for people: name keys and prefix ranges, the retention date, phone
numbers (E.164), emails, postcodes and dates of birth."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from app.rules.names import name_key, prefix_upper_bound
from app.rules.retention import birthday, pupil_retain_until
from app.schemas.contact import Email, Phone, Postcode, is_uk_mobile
from app.schemas.people import BirthDate, PupilFilters
from app.services.pupils import name_prefix

phone = TypeAdapter(Phone)
email = TypeAdapter(Email)
postcode = TypeAdapter(Postcode)
birth_date = TypeAdapter(BirthDate)


def london_today() -> date:
    return datetime.now(ZoneInfo("Europe/London")).date()


class TestNameKeys:
    @pytest.mark.parametrize(
        ("name", "key"),
        [
            ("Zoë O\u2019Neill", "zoe o'neill"),
            ("  DĄBROWSKI ", "dabrowski"),
            ("Smith-Jones", "smith-jones"),
            ("van  der   Berg", "van der berg"),
            ("Siobhán", "siobhan"),
            ("Ólafur", "olafur"),
            ("!!!", ""),
        ],
    )
    def test_folds_case_accents_and_apostrophes(self, name: str, key: str) -> None:
        assert name_key(name) == key

    def test_prefix_bound_is_the_next_string(self) -> None:
        assert prefix_upper_bound("smi") == "smj"
        assert prefix_upper_bound("o'") == "o("

    @given(
        st.text(alphabet="abcz9 '-", min_size=1, max_size=4),
        st.text(alphabet="abcz9 '-", max_size=8),
    )
    def test_range_holds_exactly_the_keys_with_the_prefix(self, prefix: str, key: str) -> None:
        in_range = prefix <= key < prefix_upper_bound(prefix)
        assert in_range == key.startswith(prefix)

    def test_a_search_of_two_words_is_forename_then_surname(self) -> None:
        assert name_prefix("Zoë O\u2019K") == name_prefix("zoe o'k")
        searched = name_prefix("Zoë O\u2019K")
        assert (searched.forename, searched.surname) == ("zoe", "o'k")
        assert name_prefix("Dąbrow").surname == "dabrow"
        assert name_prefix("Dąbrow").forename is None

    def test_a_search_needs_a_letter(self) -> None:
        with pytest.raises(ValidationError) as caught:
            PupilFilters.model_validate({"name": "!!!"})
        assert caught.value.errors()[0]["loc"] == ("name",)


class TestRetention:
    def test_kept_until_the_day_before_the_25th_birthday(self) -> None:
        assert pupil_retain_until(date(2014, 5, 17)) == date(2039, 5, 16)

    @pytest.mark.parametrize("born", [date(2008, 2, 29), date(2012, 2, 29)])
    def test_a_leap_day_birthday_falls_on_1_march(self, born: date) -> None:
        assert pupil_retain_until(born) == date(born.year + 25, 2, 28)

    def test_a_leap_day_birthday_in_a_leap_year_stays(self) -> None:
        assert birthday(date(2008, 2, 29), 4) == date(2012, 2, 29)

    def test_28_february_is_not_moved(self) -> None:
        assert pupil_retain_until(date(2007, 2, 28)) == date(2032, 2, 27)


class TestDatesOfBirth:
    def test_today_and_the_retention_boundary_are_accepted(self) -> None:
        today = london_today()
        assert birth_date.validate_python(today.isoformat()) == today
        # Turning 25 tomorrow: today is the last day the record is kept.
        oldest = birthday(today, -25) + timedelta(days=1)
        assert birth_date.validate_python(oldest.isoformat()) == oldest

    def test_a_pupil_turning_25_today_is_past_retention(self) -> None:
        with pytest.raises(ValidationError):
            birth_date.validate_python(birthday(london_today(), -25).isoformat())

    @pytest.mark.parametrize(
        "value",
        [
            (london_today() + timedelta(days=2)).isoformat(),  # in the future
            (birthday(london_today(), -25) - timedelta(days=2)).isoformat(),  # past retention
            "2014-02-30",  # no such day
            "2014-13-01",
            "17/05/2014",
            0,
        ],
    )
    def test_impossible_dates_are_refused(self, value: object) -> None:
        with pytest.raises(ValidationError):
            birth_date.validate_python(value)


class TestPhoneNumbers:
    @pytest.mark.parametrize(
        "text",
        ["07700 900123", "+44 7700 900123", "0044 7700 900123", "+44 (0)7700 900123"],
    )
    def test_uk_forms_normalise_to_e164(self, text: str) -> None:
        assert phone.validate_python(text) == "+447700900123"

    def test_ofcom_drama_numbers_are_accepted_and_are_mobiles(self) -> None:
        # libphonenumber calls 07700 900xxx invalid; Ofcom reserves them for drama.
        assert is_uk_mobile(phone.validate_python("07700 900003"))

    @pytest.mark.parametrize(
        ("text", "e164"),
        [
            ("03000 41 41 41", "+443000414141"),
            ("(01622) 694000", "+441622694000"),
            ("+33 1 42 68 53 00", "+33142685300"),
        ],
    )
    def test_landlines_and_other_countries(self, text: str, e164: str) -> None:
        assert phone.validate_python(text) == e164
        assert not is_uk_mobile(e164)

    @pytest.mark.parametrize(
        "text",
        ["12345", "07700 90012", "+44 7700 9001234567", "not a number", "0800 00", "+999 1234"],
    )
    def test_malformed_numbers_are_refused_without_echo(self, text: str) -> None:
        with pytest.raises(ValidationError) as caught:
            phone.validate_python(text)
        assert text not in caught.value.errors()[0]["msg"]


class TestEmails:
    def test_domain_is_normalised(self) -> None:
        assert email.validate_python("Parent@Example.ORG") == "Parent@example.org"

    @pytest.mark.parametrize(
        "text", ["parent@", "a b@example.org", "parent@example", "@example.org", "x" * 260]
    )
    def test_malformed_emails_are_refused(self, text: str) -> None:
        with pytest.raises(ValidationError):
            email.validate_python(text)


class TestPostcodes:
    @pytest.mark.parametrize(
        ("text", "normal"),
        [("me141xq", "ME14 1XQ"), ("CT16 1AA", "CT16 1AA"), ("gir 0aa", "GIR 0AA")],
    )
    def test_normal_form(self, text: str, normal: str) -> None:
        assert postcode.validate_python(text) == normal

    @pytest.mark.parametrize("text", ["ME14", "QQ1 1AA", "12345", "ME14 1XQQ", "ME14 1CI"])
    def test_invalid_postcodes_are_refused(self, text: str) -> None:
        with pytest.raises(ValidationError):
            postcode.validate_python(text)
