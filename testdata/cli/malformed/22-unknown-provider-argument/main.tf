provider "trellis" {
  store  = "world.json"
  regoin = "local"
}

resource "trellis_test_thing" "t" {
  name = "t"
}
