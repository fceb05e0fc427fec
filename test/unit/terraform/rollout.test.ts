import {
  child,
  children,
  ignoreChanges,
  parseAll,
  parseFile,
  resourcesOfType,
  variablesOf,
  type TfFile,
} from './hcl';

describe('Terraform settings that make rollouts fast and safe', () => {
  let files: TfFile[];
  beforeAll(async () => {
    files = await parseAll();
  });

  describe('ALB target groups (one pair per service, ecs-service module)', () => {
    // The alb module's `public_entry` target groups forward TCP to the load balancer itself (type "alb"), not
    // to tasks: they are not the services' groups.
    const serviceGroups = () =>
      resourcesOfType(files, 'aws_lb_target_group').filter(
        (g) => g.file === 'modules/ecs-service/traffic.tf',
      );

    it('probe the readiness path every 10 s or less and call a target healthy after 2 checks', async () => {
      const groups = serviceGroups();
      expect(
        resourcesOfType(files, 'aws_lb_target_group')
          .filter((g) => g.file !== 'modules/ecs-service/traffic.tf')
          .map((g) => [g.file, g.name, g.body.target_type]),
      ).toEqual([['modules/alb/main.tf', 'public_entry', 'alb']]);
      // One resource, one instance per group: blue (suffix -1) always, green (-2) where traffic shifts.
      expect(groups.map((g) => g.name)).toEqual(['this']);
      expect(groups[0].body.for_each).toBe('${local.target_groups}');
      expect(new Set(groups.map((g) => g.file))).toEqual(new Set(['modules/ecs-service/traffic.tf']));
      const vars = variablesOf(await parseFile('modules/ecs-service/variables.tf'));
      expect(vars.health_check_path.default).toBe('/readyz');
      for (const g of groups) {
        const hc = child(g.body, 'health_check');
        expect(hc).toMatchObject({
          enabled: true,
          healthy_threshold: 2,
          path: '${var.health_check_path}',
        });
        expect(hc?.interval).toBeLessThanOrEqual(10);
        expect(hc?.timeout).toBeLessThan(hc?.interval as number);
      }
    });

    it('drain targets in 30 s or less (default 15, validated ≤ 30)', async () => {
      const vars = variablesOf(await parseFile('modules/ecs-service/variables.tf'));
      expect(vars.deregistration_delay.default).toBeLessThanOrEqual(30);
      const validations = vars.deregistration_delay.validation as { condition: string }[];
      expect(validations.some((v) => /var\.deregistration_delay <= 30/.test(v.condition))).toBe(true);
      for (const g of serviceGroups()) {
        expect(g.body.deregistration_delay).toBe('${var.deregistration_delay}');
      }
    });

    it('give the blue/green family and CodeDeploy a second target group, and the blue/green family a test rule', () => {
      const traffic = files.find((f) => f.path === 'modules/ecs-service/traffic.tf')!;
      const locals = (traffic.json.locals as Record<string, string>[])[0];
      expect(locals.target_groups).toBe(
        '${local.traffic_shifting ? { blue = "1", green = "2" } : { blue = "1" }}',
      );
      const listeners = resourcesOfType(files, 'aws_lb_listener').map((l) => l.name);
      expect(listeners).toEqual(expect.arrayContaining(['http', 'https', 'test']));
      const rules = resourcesOfType(files, 'aws_lb_listener_rule');
      expect(rules.map((r) => r.name)).toEqual(['this']);
      expect(rules[0].body.for_each).toBe('${local.listener_rules}');
      expect(locals.listener_rules).toMatch(
        /local\.ecs_traffic \? \{ test = var\.listener\.test_arn \} : \{\}/,
      );
      // ECS and CodeDeploy move the weights during a rollout: Terraform must not move them back.
      for (const r of rules) expect(ignoreChanges(r.body)).toContain('action');
    });

    it('give CodeDeploy services listeners of their own whose default action CodeDeploy owns', () => {
      const listeners = resourcesOfType(files, 'aws_lb_listener').filter((l) =>
        l.name.startsWith('codedeploy'),
      );
      expect(listeners.map((l) => l.name).sort()).toEqual(['codedeploy', 'codedeploy_test']);
      for (const l of listeners) {
        expect(l.body.for_each).toBe('${local.codedeploy}');
        expect(ignoreChanges(l.body)).toEqual(['default_action']);
      }
      const traffic = files.find((f) => f.path === 'modules/ecs-service/traffic.tf')!;
      const locals = (traffic.json.locals as Record<string, string>[])[0];
      expect(locals.listener_rules).toMatch(
        /local\.codedeploy \? \{\} : \{ production = var\.listener\.production_arn \}/,
      );
    });
  });

  describe('ECS services', () => {
    it('ignore the task definition Shipgate deploys and the count autoscaling sets', () => {
      const services = resourcesOfType(files, 'aws_ecs_service');
      expect(services.map((s) => s.name).sort()).toEqual(['this', 'traffic_shifting']);
      for (const s of services) {
        expect(ignoreChanges(s.body)).toEqual(expect.arrayContaining(['task_definition', 'desired_count']));
      }
    });

    it('also ignore load_balancer where ECS or CodeDeploy swap the target groups', () => {
      const shifting = resourcesOfType(files, 'aws_ecs_service').find((s) => s.name === 'traffic_shifting')!;
      expect(ignoreChanges(shifting.body)).toContain('load_balancer');
      const rolling = resourcesOfType(files, 'aws_ecs_service').find((s) => s.name === 'this')!;
      expect(ignoreChanges(rolling.body)).not.toContain('load_balancer');
    });

    it('roll back on alarms and on the circuit breaker, as Shipgate sets them (no drift between the two)', () => {
      for (const s of resourcesOfType(files, 'aws_ecs_service')) {
        expect(children(s.body, 'alarms')).toEqual([
          { enable: true, rollback: true, alarm_names: '${var.alarm_names}' },
        ]);
      }
      // Shipgate's UpdateService always sets the circuit breaker with rollback on ECS-controller services
      // (lambdas/domain/rollout/strategy.ts); Terraform declares the same so a plan never reverts it.
      const rolling = resourcesOfType(files, 'aws_ecs_service').find((s) => s.name === 'this')!;
      expect(children(rolling.body, 'deployment_circuit_breaker')).toEqual([
        { enable: true, rollback: true },
      ]);
      // The blue/green family gets it too; CODE_DEPLOY services (same resource) must not: CodeDeploy rolls back.
      const shifting = resourcesOfType(files, 'aws_ecs_service').find((s) => s.name === 'traffic_shifting')!;
      expect(children(shifting.body, 'deployment_circuit_breaker')).toEqual([
        { enable: true, rollback: true },
      ]);
      const dynamicBlocks = shifting.body.dynamic as Record<string, { for_each: string }[]>;
      expect(dynamicBlocks.deployment_circuit_breaker[0].for_each).toBe('${local.ecs_traffic ? [1] : []}');
    });

    it('support every strategy Shipgate knows: rolling, native blue/green, linear, canary and CodeDeploy', () => {
      const shifting = resourcesOfType(files, 'aws_ecs_service').find((s) => s.name === 'traffic_shifting')!;
      const config = children(shifting.body, 'deployment_configuration')[0];
      expect(config.strategy).toBe('${deployment_configuration.value}');
      expect(children(config, 'canary_configuration')[0]).toHaveProperty('canary_percent');
      expect(children(config, 'linear_configuration')[0]).toHaveProperty('step_percent');
      const lb = child(shifting.body, 'load_balancer');
      expect(children(lb, 'advanced_configuration')[0]).toEqual({
        alternate_target_group_arn: '${aws_lb_target_group.this["green"].arn}',
        production_listener_rule: '${aws_lb_listener_rule.this["production"].arn}',
        test_listener_rule: '${aws_lb_listener_rule.this["test"].arn}',
        role_arn: '${aws_iam_role.infrastructure[0].arn}',
      });
      // Hooks are Shipgate's, per deployment (docs/architecture.md, "Who owns each ECS service setting"):
      // Terraform publishes the contract's hooks and their role, and never puts a hook on the service.
      expect(children(config, 'lifecycle_hook')).toEqual([]);
      expect(child(shifting.body, 'deployment_controller')?.type).toBe(
        '${local.codedeploy ? "CODE_DEPLOY" : "ECS"}',
      );
    });

    it('let ECS shift traffic with its infrastructure role and invoke lifecycle hooks with a role of their own', async () => {
      const traffic = await parseFile('modules/ecs-service/traffic.tf');
      const trust = resourcesOfType([traffic], 'aws_iam_policy_document', 'data').find(
        (d) => d.name === 'ecs_assume',
      )!;
      expect(child(trust.body, 'statement')).toMatchObject({
        actions: ['sts:AssumeRole'],
        principals: [{ type: 'Service', identifiers: ['ecs.amazonaws.com'] }],
      });
      const roles = resourcesOfType([traffic], 'aws_iam_role');
      expect(roles.map((r) => [r.name, r.body.count, r.body.assume_role_policy]).sort()).toEqual([
        ['hooks', '${length(local.hooks) > 0 ? 1 : 0}', '${data.aws_iam_policy_document.ecs_assume.json}'],
        ['infrastructure', '${local.ecs_traffic ? 1 : 0}', '${data.aws_iam_policy_document.ecs_assume.json}'],
      ]);
      const [attachment] = resourcesOfType([traffic], 'aws_iam_role_policy_attachment');
      expect(attachment.body.policy_arn).toMatch(
        /:iam::aws:policy\/AmazonECSInfrastructureRolePolicyForLoadBalancers$/,
      );
      const hooks = resourcesOfType([traffic], 'aws_iam_policy_document', 'data').find(
        (d) => d.name === 'hooks',
      )!;
      expect(child(hooks.body, 'statement')).toMatchObject({
        actions: ['lambda:InvokeFunction'],
        resources: '${distinct([for h in local.hooks : h.hook_target_arn])}',
      });
      // Hooks only where ECS runs them: the blue/green family.
      expect(traffic.text).toMatch(/hooks\s+= local\.ecs_traffic \? var\.lifecycle_hooks : \[\]/);
    });

    it('refuse canary, linear and bake values ECS refuses', async () => {
      const vars = variablesOf(await parseFile('modules/ecs-service/variables.tf'));
      const conditions = (name: string) =>
        (vars[name].validation as { condition: string }[]).map((v) => v.condition).join(' ');
      expect(conditions('canary_percent')).toMatch(/>= 0\.1 && var\.canary_percent <= 100/);
      expect(conditions('linear_step_percent')).toMatch(/>= 3 && var\.linear_step_percent <= 100/);
      for (const bake of [
        'bake_time_in_minutes',
        'canary_bake_time_in_minutes',
        'linear_step_bake_time_in_minutes',
      ])
        expect(conditions(bake)).toContain(`var.${bake} <= 1440`);
    });

    it('start from a bootstrap task definition that Terraform registers once', () => {
      const [td] = resourcesOfType(files, 'aws_ecs_task_definition');
      expect(td.name).toBe('this');
      expect(td.body).toMatchObject({ network_mode: 'awsvpc', skip_destroy: true });
      for (const s of resourcesOfType(files, 'aws_ecs_service')) {
        expect(s.body.task_definition).toBe('${aws_ecs_task_definition.this.arn}');
      }
    });

    it('scale on CPU and memory and send logs to CloudWatch', () => {
      const policies = resourcesOfType(files, 'aws_appautoscaling_policy').map((p) => p.name);
      expect(policies.sort()).toEqual(['cpu', 'memory']);
      const main = files.find((f) => f.path === 'modules/ecs-service/main.tf')!;
      expect(main.text).toMatch(/logDriver\s*=\s*"awslogs"/);
    });
  });

  describe('monitoring', () => {
    it('alarms on 5xx, unhealthy hosts and latency and feeds them to the services, CodeDeploy and the contract', async () => {
      const main = await parseFile('modules/monitoring/main.tf');
      for (const metric of ['HTTPCode_Target_5XX_Count', 'UnHealthyHostCount', 'TargetResponseTime']) {
        expect(main.text).toContain(`"${metric}"`);
      }
      const env = await parseFile('modules/environment/main.tf');
      const modules = env.json.module as Record<string, Record<string, unknown>[]>;
      expect(modules.service[0].alarm_names).toBe('${module.monitoring.alarm_names[each.key]}');
      expect(modules.codedeploy[0].alarm_names).toBe('${module.monitoring.alarm_names[each.key]}');
      expect(modules.contract[0].alarms).toBe('${module.monitoring.alarm_names[each.key]}');
    });
  });

  describe('ECR', () => {
    it('uses immutable tags, scans on push and expires old images', () => {
      const [repo] = resourcesOfType(files, 'aws_ecr_repository');
      expect(repo.body.image_tag_mutability).toBe('IMMUTABLE');
      expect(child(repo.body, 'image_scanning_configuration')?.scan_on_push).toBe('${var.scan_on_push}');
      expect(resourcesOfType(files, 'aws_ecr_lifecycle_policy')).toHaveLength(1);
    });
  });

  describe('data stores', () => {
    it('let RDS manage the master password in Secrets Manager and keep databases private and encrypted', () => {
      const [db] = resourcesOfType(files, 'aws_db_instance');
      expect(db.body).toMatchObject({
        engine: 'postgres',
        manage_master_user_password: true,
        storage_encrypted: true,
        publicly_accessible: false,
      });
      expect(db.body).not.toHaveProperty('password');
    });

    it('run RabbitMQ on Amazon MQ with its credentials in Secrets Manager', () => {
      const [mq] = resourcesOfType(files, 'aws_mq_broker');
      expect(mq.body).toMatchObject({ engine_type: 'RabbitMQ', publicly_accessible: false });
      expect(resourcesOfType(files, 'aws_secretsmanager_secret').map((s) => s.name)).toContain('rabbitmq');
    });
  });

  describe('DNS', () => {
    it('creates a Route 53 alias only when a hosted zone is given, and always outputs the URL', async () => {
      const [record] = resourcesOfType(files, 'aws_route53_record');
      expect(record.body.count).toBe('${local.create_dns ? 1 : 0}');
      const main = await parseFile('modules/alb/main.tf');
      expect(main.text).toMatch(/create_dns\s*=\s*var\.route53_zone_id != null && var\.domain_name != null/);
      const outputs = await parseFile('modules/environment/outputs.tf');
      expect(Object.keys(outputs.json.output as object)).toEqual(
        expect.arrayContaining(['url', 'alb_dns_name']),
      );
      expect(files.some((f) => /duckdns\.org/i.test(f.text))).toBe(false);
    });
  });
});
