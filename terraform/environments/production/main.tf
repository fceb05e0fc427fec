# The environment is modules/environment; what makes it this environment is in
# terraform.tfvars, and its state key in versions.tf.
module "environment" {
  source = "../../modules/environment"

  environment = var.environment
}
