"""Chart geometry: fewer points, scaled into the box, as an SVG path."""

from webui.charts import chart, path, thin


def test_points_that_fit_are_kept_as_they_are():
    assert thin([1.0, 2.0], [5.0, 6.0], most=3) == ([1.0, 2.0], [5.0, 6.0])


def test_too_many_points_become_means_of_clock_aligned_buckets():
    times = [float(t) for t in range(100, 160, 10)]  # 100..150: six points
    values = [1.0, 3.0, 5.0, 7.0, 9.0, 11.0]
    starts, means = thin(times, values, most=3)
    # bucket width ceil(50 / 2) = 25 s, aligned on multiples of 25: [100,125) [125,150) [150,175)
    assert starts == [100.0, 125.0, 150.0]
    assert means == [3.0, 8.0, 11.0]  # 100, 110, 120 | 130, 140 | 150
    assert len(starts) <= 3


def test_values_are_scaled_into_the_box_time_across_value_up():
    c = chart([0.0, 50.0, 100.0], [0.0, 2.0, 4.0], start=0.0, end=100.0, top=4.0, width=200, height=40)
    assert [(d.x, d.y) for d in c.dots] == [(0.0, 40.0), (100.0, 20.0), (200.0, 0.0)]
    assert c.line == "M0.0 40.0L100.0 20.0L200.0 0.0"
    assert c.area == "M0.0 40.0L100.0 20.0L200.0 0.0L200.0 40L0.0 40Z"
    assert c.level(1.0) == 30.0
    assert (c.lowest, c.highest, c.latest.value if c.latest else None) == (0.0, 4.0, 4.0)


def test_what_lies_outside_the_box_is_drawn_on_its_edge():
    c = chart([-50.0, 150.0], [-1.0, 9.0], start=0.0, end=100.0, top=4.0, width=100, height=10)
    assert [(d.x, d.y) for d in c.dots] == [(0.0, 10.0), (100.0, 0.0)]
    assert [d.value for d in c.dots] == [-1.0, 9.0]  # the words keep the real value


def test_a_chart_without_a_top_draws_on_the_bottom_and_an_empty_one_draws_nothing():
    assert [d.y for d in chart([1.0], [0.0], 0.0, 2.0, top=0.0, width=10, height=10).dots] == [10.0]
    empty = chart([], [], 0.0, 1.0, top=1.0, width=10, height=10)
    assert empty.line == "" and empty.area == "" and empty.latest is None


def test_a_path_has_one_move_then_lines():
    c = chart([0.0, 1.0], [1.0, 1.0], 0.0, 1.0, top=2.0, width=10, height=10)
    assert path(c.dots) == "M0.0 5.0L10.0 5.0"
