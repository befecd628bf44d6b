module "loop" {
  source = "./m"
}
#-- module --
module "again" {
  source = "./m"
}
