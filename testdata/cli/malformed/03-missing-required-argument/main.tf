provider "trellis" {
  store = "world.json"
}

resource "trellis_test_listener" "l" {
  name = "l"
  port = 80
}
