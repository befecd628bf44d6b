provider "trellis" {
  store = "world.json"
}

resource "trellis_test_thing" "each" {
  for_each = "a,b"
  name     = each.value
}
