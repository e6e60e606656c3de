import type { AppConfig } from '../config/app-config';
import type { ElasticsearchTarget } from './migration.elasticsearch';
import type { KibanaClient } from './migration.kibana';
import type { MigrationOptions } from './migration.options';
import type { MigrationReport, Progress } from './migration.report';

/** What every step of a migration command works with. The cluster and Kibana are connected to on first use. */
export interface MigrationContext {
  options: MigrationOptions;
  config: AppConfig;
  report: MigrationReport;
  progress: Progress;
  elasticsearch(): ElasticsearchTarget;
  kibana(): KibanaClient;
}
