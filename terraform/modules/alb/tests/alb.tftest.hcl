# Target groups, rules and DNS (mocked AWS, no account).

mock_provider "aws" {
  mock_resource "aws_lb" {
    defaults = {
      arn        = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shipgate-test/0123456789abcdef"
      dns_name   = "shipgate-test-1234567890.us-east-1.elb.amazonaws.com"
      arn_suffix = "app/shipgate-test/0123456789abcdef"
      zone_id    = "Z35SXDOTRQ7X7K"
    }
  }
  mock_resource "aws_lb_listener" {
    defaults = {
      arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shipgate-test/0123456789abcdef/0123456789abcdef"
    }
  }
  mock_resource "aws_lb_target_group" {
    defaults = {
      arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shipgate-test/0123456789abcdef"
    }
  }
}

variables {
  name           = "shipgate-staging"
  vpc_id         = "vpc-0123456789abcdef0"
  vpc_cidr_block = "10.10.0.0/16"
  subnet_ids     = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  services = {
    "api-gateway"   = { container_port = 8080, priority = 100 }
    "inventory-app" = { container_port = 8080, priority = 10, path_prefix = "/inventory-app", blue_green = true }
  }
}

run "fast_target_groups" {
  command = plan

  assert {
    condition = alltrue([for tg in concat(values(aws_lb_target_group.blue), values(aws_lb_target_group.green)) :
      tg.health_check[0].interval <= 10 && tg.health_check[0].healthy_threshold == 2 && tg.health_check[0].path == "/readyz" && tg.deregistration_delay <= 30
    ])
    error_message = "Target groups must probe /readyz every <= 10 s, be healthy after 2 checks and drain in <= 30 s."
  }

  assert {
    condition     = length(aws_lb_target_group.green) == 1 && length(aws_lb_listener.test) == 1 && length(aws_lb_listener_rule.test) == 1
    error_message = "Only the blue/green service gets a second target group and a test rule."
  }

  assert {
    condition     = alltrue([for tg in concat(values(aws_lb_target_group.blue), values(aws_lb_target_group.green)) : length(tg.name) <= 32])
    error_message = "Target group names must fit in 32 characters."
  }

  assert {
    condition     = toset(flatten([for c in aws_lb_listener_rule.production["inventory-app"].condition : [for p in c.path_pattern : tolist(p.values)]])) == toset(["/inventory-app", "/inventory-app/*"])
    error_message = "A prefixed service is routed on its prefix."
  }

  assert {
    condition     = toset(flatten([for c in aws_lb_listener_rule.production["api-gateway"].condition : [for p in c.path_pattern : tolist(p.values)]])) == toset(["/*"])
    error_message = "The service without a prefix is the catch-all."
  }

  assert {
    condition     = length(aws_route53_record.this) == 0
    error_message = "No hosted zone, no DNS record."
  }
}

run "route53_when_zone_given" {
  command = apply

  variables {
    route53_zone_id = "Z0123456789ABCDEFGHIJ"
    domain_name     = "staging.example.com"
  }

  assert {
    condition     = length(aws_route53_record.this) == 1 && output.url == "http://staging.example.com"
    error_message = "With a hosted zone, the record is created and the URL uses the domain."
  }

  assert {
    condition     = output.services["inventory-app"].url == "http://staging.example.com/inventory-app"
    error_message = "A prefixed service's URL is the base URL plus its prefix."
  }
}

run "alb_dns_name_without_zone" {
  command = apply

  assert {
    condition     = output.url == "http://shipgate-test-1234567890.us-east-1.elb.amazonaws.com"
    error_message = "Without a hosted zone, the URL is the load balancer's DNS name."
  }
}

run "slow_draining_refused" {
  command = plan

  variables {
    services = {
      "api-gateway" = { container_port = 8080, priority = 100, deregistration_delay = 300 }
    }
  }

  expect_failures = [var.services]
}

run "codedeploy_service_gets_its_own_listeners" {
  command = apply

  variables {
    services = {
      "api-gateway"   = { container_port = 8080, priority = 100, codedeploy = true, listener_port = 8081 }
      "inventory-app" = { container_port = 8080, priority = 10, path_prefix = "/inventory-app" }
    }
  }

  assert {
    condition     = aws_lb_listener.codedeploy["api-gateway"].port == 8081 && aws_lb_listener.codedeploy_test["api-gateway"].port == 8082
    error_message = "A CodeDeploy service gets a production and a test listener of its own."
  }

  assert {
    condition     = !contains(keys(aws_lb_listener_rule.production), "api-gateway") && length(aws_lb_listener.test) == 0
    error_message = "A CodeDeploy service is not routed by path rules, and no shared test listener is needed."
  }

  assert {
    condition     = length(aws_lb_target_group.green) == 1 && output.services["api-gateway"].url == "http://shipgate-test-1234567890.us-east-1.elb.amazonaws.com:8081"
    error_message = "A CodeDeploy service has two target groups and is reached on its own port."
  }
}

run "codedeploy_needs_a_port" {
  command = plan

  variables {
    services = {
      "api-gateway" = { container_port = 8080, priority = 100, codedeploy = true }
    }
  }

  expect_failures = [var.services]
}
