module "m" { source = "./m" }
#-- module --
ÿþ