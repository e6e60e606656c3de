import { Injectable, OnApplicationBootstrap, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { DECORATORS } from '@nestjs/swagger';
import { PACKAGE } from '../common/package-info';

/** GET `/` (JSON): what the service is and what it answers. */
export interface ServiceDescription {
  /** The reference's greeting, kept for its clients. */
  message: string;
  service: string;
  version: string;
  description: string;
  /**
   * `"<METHOD> <path>"` → summary, for every route of the application (each also under `/api`), and the
   * reference's own keys (`health`, `predict`, `predict_proba`, `logs`) → path, which its clients read.
   */
  endpoints: Record<string, string>;
  docs: string;
}

/** GET / as the reference answered it, for its clients (`endpoints.health`). */
const REFERENCE_ENDPOINTS: Readonly<Record<string, string>> = {
  health: '/health',
  predict: '/predict',
  predict_proba: '/predict_proba',
  logs: '/logs',
};

const joinPath = (...parts: string[]): string =>
  `/${parts
    .flatMap((p) => p.split('/'))
    .filter(Boolean)
    .join('/')}`;

const asList = (value: unknown): string[] =>
  Array.isArray(value) ? value.map(String) : [typeof value === 'string' ? value : ''];

/**
 * Describes the service. The endpoint list is read from the routes themselves once the application is assembled,
 * so modules added later appear without anyone editing a list here.
 */
@Injectable()
export class InfoService implements OnApplicationBootstrap {
  private endpoints: Record<string, string> = {};

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  onApplicationBootstrap(): void {
    this.endpoints = this.scanRoutes();
  }

  describe(): ServiceDescription {
    return {
      message: 'API de Prédiction ML',
      service: PACKAGE.name,
      version: PACKAGE.version,
      description: PACKAGE.description,
      endpoints: { ...REFERENCE_ENDPOINTS, ...this.endpoints },
      docs: '/docs',
    };
  }

  private scanRoutes(): Record<string, string> {
    const routes: [string, string][] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const type = wrapper.metatype;
      const instance = wrapper.instance as object | undefined;
      if (!type || !instance) {
        continue;
      }
      const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
      const prefixes = asList(Reflect.getMetadata(PATH_METADATA, type));
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as object;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) {
          continue;
        }
        const operation = Reflect.getMetadata(DECORATORS.API_OPERATION, handler) as
          { summary?: string } | undefined;
        for (const prefix of prefixes) {
          for (const path of asList(Reflect.getMetadata(PATH_METADATA, handler))) {
            routes.push([`${RequestMethod[method]} ${joinPath(prefix, path)}`, operation?.summary ?? '']);
          }
        }
      }
    }
    const pathOf = (route: string): string => route.slice(route.indexOf(' ') + 1);
    routes.sort(([a], [b]) => pathOf(a).localeCompare(pathOf(b)) || a.localeCompare(b));
    return Object.fromEntries(routes);
  }
}
