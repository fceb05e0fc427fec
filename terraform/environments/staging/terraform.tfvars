# Staging: small and cheap; every service rolls out ROLLING (shipgate.config.yaml
# decides the same; test/unit/terraform checks the two agree).
environment = {
  name     = "staging"
  vpc_cidr = "10.10.0.0/16"

  services = {
    "api-gateway" = {
      repository     = "api-gateway"
      container_port = 8080
      path_prefix    = null # catch-all: the public entry point
      priority       = 100
      min_capacity   = 1
      desired_count  = 1
    }
    "inventory-app" = {
      repository     = "inventory-app"
      container_port = 8080
      path_prefix    = "/inventory-app"
      priority       = 10
      database       = "inventory"
      min_capacity   = 1
      desired_count  = 1
    }
    "billing-app" = {
      repository     = "billing-app"
      container_port = 8080
      path_prefix    = "/billing-app"
      priority       = 20
      database       = "billing"
      rabbitmq       = true
      min_capacity   = 1
      desired_count  = 1
    }
  }

  databases = {
    inventory = { db_name = "inventory", deletion_protection = false }
    billing   = { db_name = "billing", deletion_protection = false }
  }

  rabbitmq = {
    host_instance_type = "mq.t3.micro"
    deployment_mode    = "SINGLE_INSTANCE"
  }
}
