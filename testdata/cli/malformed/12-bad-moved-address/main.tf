provider "trellis" {
  store = "world.json"
}

resource "trellis_test_thing" "new" {
  name = "t"
}

moved {
  from = trellis_test_thing
  to   = trellis_test_thing.new
}
