variable "environment" {
  description = <<-EOT
    Everything that makes one environment differ from another: an environment root passes its
    `terraform.tfvars` value through unchanged, so the roots stay a backend, a provider and this call.
    - `name`: environment name, as in shipgate.config.yaml `environments[].name` (names the cluster
      `shipgate-<name>` and the contracts).
    - `vpc_cidr`: IPv4 CIDR block of the VPC; `enable_nat_gateway`: give the private subnets a NAT gateway
      (only needed when services call the internet; AWS APIs go through VPC endpoints).
    - `cluster_capacity`: where tasks run, FARGATE or EC2 (the seed ran EC2).
    - `certificate_arn`: ACM certificate for HTTPS on the load balancer; null serves plain HTTP.
    - `route53_zone_id`, `domain_name`: Route 53 hosted zone and the load balancer's name in it, e.g.
      `staging.example.com`; null skips DNS and the services are reached on the load balancer's DNS name.
    - `alb_deletion_protection`: protect the load balancer from deletion.
    - `internal_load_balancer`: make the load balancer internal (its DNS name resolves to private addresses).
      null (default) = internal exactly when some service rolls out BLUE_GREEN, LINEAR or CANARY: Shipgate's
      smoke check calls their test listener from inside the VPC, and the listener admits it by security group,
      which only matches traffic to the load balancer's private addresses. false is refused for such services.
    - `public_entry`: with an internal load balancer, put an internet-facing network load balancer in front of
      it (production ports only) so the services stay public; false = reachable inside the VPC only (or front
      it yourself, e.g. CloudFront VPC origins).
    - `contracts_prefix`: prefix of the deploy-contract parameters; must equal `contractsPrefix` in
      shipgate.config.yaml.
    - `bootstrap_image`: image of the services' bootstrap task definitions; null uses nginx from ECR Public
      through the account's pull-through cache (created by terraform/global).
    - `services`: keyed by the service name in shipgate.config.yaml.
      - `repository`: ECR repository (terraform/global); `container_port`: port the app listens on.
      - `path_prefix`: public path of the service on the load balancer (stripped before the request reaches
        it); null = catch-all. `priority`: listener rule priority, unique per environment (the catch-all
        service gets the highest).
      - `strategy`: ROLLING, BLUE_GREEN, LINEAR, CANARY or CODEDEPLOY — must match shipgate.config.yaml (a test
        checks it); canary/linear/bake settings and `codedeploy_config` refine it. CODEDEPLOY needs
        `listener_port`: CodeDeploy shifts whole listeners, so the service gets its own (production on
        `listener_port`, test on `listener_port + 1`).
      - `lifecycle_hooks`: BLUE_GREEN, LINEAR and CANARY only: Lambda functions ECS invokes at the listed
        lifecycle stages (see the ecs-service module).
      - `database`: key of `databases` the service uses; `rabbitmq`: whether it uses the broker.
      - `environment`: extra plain environment variables.
    - `databases`: PostgreSQL databases (RDS, one instance each) keyed by the name services refer to in
      `database`; see the data module.
    - `rabbitmq`: Amazon MQ for RabbitMQ broker settings; null creates no broker.
    - `alarm_actions`: ARNs (e.g. SNS topics) notified when a service alarm fires.
    - `shipgate`: set when this environment lives in an AWS account of its own, not Shipgate's
      (shipgate.config.yaml `environments[].aws`). `account_id` (Shipgate's account) alone, before Shipgate's
      stack exists: the smoke check's subnets and security group are shared with that account (AWS RAM) and the
      VPC gets an STS endpoint. With the stack's outputs added, it also creates Shipgate's deploy role, the role
      ECS invokes its verify hook with and the rule forwarding deployment events to its bus
      (modules/shipgate-deploy-role): `role_arns` = this environment's entry of `DeployRoleCallerArns`,
      `event_bus_arn` = `EventBusArn`, `verify_hook_function_arn` = `VerifyHook<Environment>Arn`,
      `external_id` = `environments[].aws.externalId`, `deploy_role_name` = the name in `deployRole`.
      null (default): Shipgate's own account, its functions' own roles.
  EOT
  type = object({
    name                    = string
    vpc_cidr                = optional(string, "10.0.0.0/16")
    enable_nat_gateway      = optional(bool, false)
    cluster_capacity        = optional(string, "FARGATE")
    certificate_arn         = optional(string)
    route53_zone_id         = optional(string)
    domain_name             = optional(string)
    alb_deletion_protection = optional(bool, false)
    internal_load_balancer  = optional(bool)
    public_entry            = optional(bool, true)
    contracts_prefix        = optional(string, "/shipgate")
    bootstrap_image         = optional(string)
    services = map(object({
      repository                       = string
      container_port                   = optional(number, 8080)
      path_prefix                      = optional(string)
      priority                         = number
      listener_port                    = optional(number)
      strategy                         = optional(string, "ROLLING")
      bake_time_in_minutes             = optional(number, 5)
      canary_percent                   = optional(number, 10)
      canary_bake_time_in_minutes      = optional(number, 5)
      linear_step_percent              = optional(number, 25)
      linear_step_bake_time_in_minutes = optional(number, 2)
      codedeploy_config                = optional(string, "CodeDeployDefault.ECSCanary10Percent5Minutes")
      lifecycle_hooks = optional(list(object({
        hook_target_arn  = string
        lifecycle_stages = list(string)
      })), [])
      cpu           = optional(number, 256)
      memory        = optional(number, 512)
      desired_count = optional(number, 2)
      min_capacity  = optional(number, 2)
      max_capacity  = optional(number, 6)
      database      = optional(string)
      rabbitmq      = optional(bool, false)
      environment   = optional(map(string), {})
    }))
    databases = optional(map(object({
      db_name                 = string
      instance_class          = optional(string, "db.t4g.micro")
      allocated_storage       = optional(number, 20)
      multi_az                = optional(bool, false)
      backup_retention_period = optional(number, 7)
      deletion_protection     = optional(bool, true)
    })), {})
    rabbitmq = optional(object({
      host_instance_type = optional(string, "mq.t3.micro")
      deployment_mode    = optional(string, "SINGLE_INSTANCE")
    }))
    alarm_actions = optional(list(string), [])
    shipgate = optional(object({
      account_id               = string
      deploy_role_name         = optional(string, "shipgate-deploy")
      external_id              = optional(string)
      role_arns                = optional(list(string))
      event_bus_arn            = optional(string)
      verify_hook_function_arn = optional(string)
    }))
  })

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,39}$", var.environment.name))
    error_message = "The environment name must be a lower-case name of letters, digits and '-' (as Shipgate's config requires)."
  }

  validation {
    condition     = alltrue([for s in values(var.environment.services) : contains(["ROLLING", "BLUE_GREEN", "LINEAR", "CANARY", "CODEDEPLOY"], s.strategy)])
    error_message = "Each service's strategy must be one of ROLLING, BLUE_GREEN, LINEAR, CANARY or CODEDEPLOY."
  }

  validation {
    condition     = length(distinct([for s in values(var.environment.services) : s.priority])) == length(var.environment.services)
    error_message = "Listener rule priorities must be unique across services."
  }

  validation {
    condition     = var.environment.internal_load_balancer != false || alltrue([for s in values(var.environment.services) : !contains(["BLUE_GREEN", "LINEAR", "CANARY"], s.strategy)])
    error_message = "A BLUE_GREEN, LINEAR or CANARY service needs internal_load_balancer (true or null): Shipgate's smoke check calls the test listener from inside the VPC, and an internet-facing load balancer's name resolves to public addresses, so the call would leave through NAT and the listener, which admits only the smoke check's security group, would refuse it. Keep the services public with public_entry."
  }

  validation {
    condition     = alltrue([for s in values(var.environment.services) : length(s.lifecycle_hooks) == 0 || contains(["BLUE_GREEN", "LINEAR", "CANARY"], s.strategy)])
    error_message = "Only BLUE_GREEN, LINEAR and CANARY services can have lifecycle_hooks (ECS runs them; ROLLING and CODEDEPLOY do not)."
  }
}
