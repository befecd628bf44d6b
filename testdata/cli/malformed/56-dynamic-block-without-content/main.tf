provider "trellis" {
  store = "world.json"
}

resource "trellis_test_thing" "t" {
  name = "t"
  dynamic "rule" {
    for_each = [1, 2]
  }
}
