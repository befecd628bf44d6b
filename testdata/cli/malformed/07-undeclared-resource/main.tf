provider "trellis" {
  store = "world.json"
}

resource "trellis_test_association" "a" {
  service_id = trellis_test_service.missing.id
  network_id = "net-1"
}
