provider "trellis" {
  store = "world.json"
}

provider "nope" {
  region = "x"
}

resource "trellis_test_thing" "t" {
  name = "t"
}
