from ipaddress import ip_network

from webui.middleware.client_address import forwarded_client, within

PROXIES = [ip_network("127.0.0.1/32"), ip_network("10.0.0.0/8")]


def test_the_client_is_the_rightmost_address_that_is_not_a_trusted_proxy():
    assert forwarded_client("6.6.6.6, 7.7.7.7", PROXIES) == "7.7.7.7"
    assert forwarded_client("6.6.6.6, 7.7.7.7, 10.1.2.3", PROXIES) == "7.7.7.7"


def test_only_proxies_forwarding_means_the_leftmost_and_nothing_means_nothing():
    assert forwarded_client("10.0.0.1, 127.0.0.1", PROXIES) == "10.0.0.1"
    assert forwarded_client(" , ", PROXIES) == ""


def test_a_name_or_a_unix_socket_is_never_a_trusted_proxy():
    assert not within("localhost", PROXIES) and not within("", PROXIES)
    assert within("10.9.9.9", PROXIES)
