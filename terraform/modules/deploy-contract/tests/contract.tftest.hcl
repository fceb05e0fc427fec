# The contract document, rendered by Terraform itself (mocked AWS, no account).
# Run: terraform init -backend=false && terraform test

mock_provider "aws" {
  mock_resource "aws_ssm_parameter" {
    defaults = {
      arn = "arn:aws:ssm:us-east-1:123456789012:parameter/shipgate/staging/services/inventory-app"
    }
  }
}

variables {
  environment    = "staging"
  service        = "inventory-app"
  cluster        = "shipgate-staging"
  ecs_service    = "inventory-app"
  container_name = "inventory-app"
  container_port = 8080
  strategy       = "ROLLING"
  smoke_url      = "https://staging.example.com/inventory-app"
  alarms         = ["shipgate-staging-inventory-app-5xx"]
  repository     = "inventory-app"
}

run "rolling" {
  command = apply

  assert {
    condition     = aws_ssm_parameter.this.name == "/shipgate/staging/services/inventory-app"
    error_message = "The parameter must be <prefix>/<environment>/services/<service>."
  }

  assert {
    condition = jsondecode(aws_ssm_parameter.this.insecure_value) == {
      version        = 1
      cluster        = "shipgate-staging"
      service        = "inventory-app"
      containerName  = "inventory-app"
      containerPort  = 8080
      strategy       = "ROLLING"
      codeDeploy     = null
      blueGreen      = null
      lifecycleHooks = []
      smokeUrl       = "https://staging.example.com/inventory-app"
      smokePath      = "/readyz"
      alarms         = ["shipgate-staging-inventory-app-5xx"]
      repository     = "inventory-app"
    }
    error_message = "The contract document is not what Shipgate expects."
  }

  assert {
    condition     = aws_ssm_parameter.this.type == "String"
    error_message = "Contracts hold no secrets and are plain String parameters."
  }
}

run "codedeploy_without_config_omits_the_key" {
  command = apply

  variables {
    strategy    = "CODEDEPLOY"
    code_deploy = { application = "app", deployment_group = "group" }
  }

  assert {
    condition     = jsondecode(aws_ssm_parameter.this.insecure_value).codeDeploy == { application = "app", deploymentGroup = "group" }
    error_message = "An unset deploymentConfig must be left out (the schema rejects null there)."
  }
}

run "codedeploy_with_config" {
  command = apply

  variables {
    strategy    = "CODEDEPLOY"
    code_deploy = { application = "app", deployment_group = "group", deployment_config = "CodeDeployDefault.ECSAllAtOnce" }
  }

  assert {
    condition     = jsondecode(aws_ssm_parameter.this.insecure_value).codeDeploy.deploymentConfig == "CodeDeployDefault.ECSAllAtOnce"
    error_message = "The deployment config must be published."
  }
}

run "codedeploy_needs_its_group" {
  command = plan

  variables {
    strategy = "CODEDEPLOY"
  }

  expect_failures = [aws_ssm_parameter.this]
}

run "canary_publishes_what_ecs_shifts_traffic_with" {
  command = apply

  variables {
    strategy = "CANARY"
    blue_green = {
      alternate_target_group_arn   = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shipgate-production-billing-app-2/0123456789abcdef"
      production_listener_rule_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shipgate-production/0123456789abcdef/0123456789abcdef/0000000000000001"
      test_listener_rule_arn       = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shipgate-production/0123456789abcdef/0123456789abcdef/0000000000000002"
      infrastructure_role_arn      = "arn:aws:iam::123456789012:role/shipgate-production-billing-app-ecs-infrastructure"
      test_url                     = "http://alb.example.com:8443/billing-app"
    }
    lifecycle_hooks = [{
      hook_target_arn  = "arn:aws:lambda:us-east-1:123456789012:function:smoke-check"
      role_arn         = "arn:aws:iam::123456789012:role/shipgate-production-billing-app-ecs-hooks"
      lifecycle_stages = ["POST_TEST_TRAFFIC_SHIFT"]
    }]
  }

  assert {
    condition = jsondecode(aws_ssm_parameter.this.insecure_value).blueGreen == {
      alternateTargetGroupArn   = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shipgate-production-billing-app-2/0123456789abcdef"
      productionListenerRuleArn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shipgate-production/0123456789abcdef/0123456789abcdef/0000000000000001"
      testListenerRuleArn       = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shipgate-production/0123456789abcdef/0123456789abcdef/0000000000000002"
      infrastructureRoleArn     = "arn:aws:iam::123456789012:role/shipgate-production-billing-app-ecs-infrastructure"
      testUrl                   = "http://alb.example.com:8443/billing-app"
    }
    error_message = "blueGreen must carry the alternate target group, both listener rules, the infrastructure role and the test URL."
  }

  assert {
    condition = jsondecode(aws_ssm_parameter.this.insecure_value).lifecycleHooks == [{
      hookTargetArn   = "arn:aws:lambda:us-east-1:123456789012:function:smoke-check"
      roleArn         = "arn:aws:iam::123456789012:role/shipgate-production-billing-app-ecs-hooks"
      lifecycleStages = ["POST_TEST_TRAFFIC_SHIFT"]
    }]
    error_message = "lifecycleHooks must carry each hook's Lambda, role and stages."
  }
}

run "canary_needs_blue_green" {
  command = plan

  variables {
    strategy = "CANARY"
  }

  expect_failures = [aws_ssm_parameter.this]
}

run "smoke_url_without_trailing_slash" {
  command = plan

  variables {
    smoke_url = "https://staging.example.com/"
  }

  expect_failures = [var.smoke_url]
}

run "unknown_strategy" {
  command = plan

  variables {
    strategy = "RECREATE"
  }

  expect_failures = [var.strategy]
}
