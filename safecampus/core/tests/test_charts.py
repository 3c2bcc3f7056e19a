import datetime as dt

from safecampus.core import clock
from safecampus.core.charts import CHART_FONT, bars, donut, month_axis, month_line

NOW = dt.datetime(2026, 5, 20, 12, 0, tzinfo=dt.UTC)


def test_month_axis_fills_empty_months_and_takes_datetimes():
    counted = {dt.datetime(2025, 11, 1, tzinfo=dt.UTC): 2, dt.date(2026, 2, 1): 1}
    with clock.frozen(NOW):
        months, cut = month_axis(counted)
    assert months == [(dt.date(2025, 11, 1), 2), (dt.date(2025, 12, 1), 0),
                      (dt.date(2026, 1, 1), 0), (dt.date(2026, 2, 1), 1)]
    assert cut == 0


def test_month_axis_runs_to_the_period_ends_but_not_past_this_month():
    with clock.frozen(NOW):
        months, cut = month_axis({dt.date(2026, 3, 1): 4}, date_from=dt.date(2026, 1, 15),
                                 date_to=dt.date(2026, 12, 31))
    assert [m for m, _n in months] == [dt.date(2026, m, 1) for m in range(1, 6)]
    assert cut == 0
    assert month_axis({}) == ([], 0)


def test_month_axis_keeps_the_last_months():
    with clock.frozen(NOW):
        months, cut = month_axis({dt.date(2020, 1, 1): 1, dt.date(2020, 12, 1): 3},
                                 max_months=3)
    assert months == [(dt.date(2020, 10, 1), 0), (dt.date(2020, 11, 1), 0),
                      (dt.date(2020, 12, 1), 3)]
    assert cut == 9


def test_option_builders_use_the_page_font_and_canvas_tooltips():
    option = bars(["东门", "West gate"], [3, 1], "Count")
    assert option["baseOption"]["textStyle"] == {"fontFamily": CHART_FONT}
    assert option["baseOption"]["tooltip"]["renderMode"] == "richText"
    assert option["baseOption"]["yAxis"]["data"] == ["东门", "West gate"]
    line = month_line([(dt.date(2026, 1, 1), 2), (dt.date(2026, 2, 1), 0)], "Count")
    assert line["xAxis"]["data"] == ["2026-01", "2026-02"]
    assert line["series"][0]["data"] == [2, 0]
    assert line["dataZoom"] == []
    pie = donut([("Open", 2), ("Closed", 5)], "State", colours=["#000", "#fff"])
    assert pie["color"] == ["#000", "#fff"]
    assert pie["series"][0]["data"] == [{"name": "Open", "value": 2},
                                        {"name": "Closed", "value": 5}]
