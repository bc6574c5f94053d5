from webui.services.maintenance.capacity import Capacity

MiB = 1024 * 1024


def test_it_fits_when_the_total_and_the_largest_instance_fit():
    assert Capacity(moving=(("a", 300 * MiB), ("b", 200 * MiB)), receivers=(("m1", 400 * MiB), ("m3", 400 * MiB))).fits


def test_it_does_not_fit_when_the_receivers_have_less_free_in_all():
    capacity = Capacity(moving=(("a", 600 * MiB), ("b", 600 * MiB)), receivers=(("m1", 500 * MiB), ("m3", 500 * MiB)))
    assert (capacity.needed, capacity.free, capacity.fits) == (1200 * MiB, 1000 * MiB, False)


def test_it_does_not_fit_when_one_instance_is_larger_than_any_receiver_has_free():
    assert not Capacity(moving=(("big", 700 * MiB),), receivers=(("m1", 500 * MiB), ("m3", 500 * MiB))).fits


def test_nothing_to_move_always_fits():
    assert Capacity(moving=(), receivers=()).fits
