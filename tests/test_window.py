from datetime import date

import pytest
from scrapy.exceptions import UsageError

from crawler.window import DateWindow


def test_window_is_inclusive():
    window = DateWindow.from_arguments("2021-12-01", "2021-12-31")
    assert date(2021, 12, 1) in window and date(2021, 12, 31) in window
    assert date(2021, 11, 30) not in window and date(2022, 1, 1) not in window


def test_open_window_takes_everything():
    window = DateWindow.from_arguments(None, None)
    assert date(1999, 1, 1) in window and date(2030, 1, 1) in window


def test_default_days_end_today():
    window = DateWindow.from_arguments(None, None, default_days=2, today=date(2026, 11, 29))
    assert (window.since, window.until) == (date(2026, 11, 28), date(2026, 11, 29))


@pytest.mark.parametrize("since,until", [("2021-13-01", None), ("yesterday", None),
                                         (None, "2021/12/01"), ("2021-12-02", "2021-12-01")])
def test_bad_dates_are_usage_errors(since, until):
    with pytest.raises(UsageError):
        DateWindow.from_arguments(since, until)


def test_overlaps():
    window = DateWindow.from_arguments("2021-12-10", "2021-12-20")
    assert window.overlaps(date(2021, 12, 1), date(2021, 12, 31))
    assert not window.overlaps(date(2021, 11, 1), date(2021, 11, 30))
