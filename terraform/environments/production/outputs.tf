output "environment" {
  description = "What the environment built (modules/environment outputs): `terraform output -json environment`."
  value       = try(module.environment, null)
}
