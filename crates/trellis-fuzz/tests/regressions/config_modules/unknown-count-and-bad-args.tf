provider "trellis" {}

resource "trellis_test_thing" "a" {
  name = "a"
}

module "m" {
  source  = "../../x"
  count   = length(trellis_test_thing.a.id)
  nope    = 1
  providers = {
    trellis = trellis.missing
  }
}
#-- module --
variable "x" {}
output "o" {
  value     = var.x
  sensitive = true
}
