import type { NestExpressApplication } from '@nestjs/platform-express';
import hbs from 'hbs';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';

type Template = (context: object) => string;

/** The same relative paths work from src/web (ts-node, jest) and dist/web. */
export const VIEWS_DIR = resolve(__dirname, '../../views');
export const PUBLIC_DIR = resolve(__dirname, '../../public');

/** URL prefix of the files of `public/`. */
export const STATIC_PREFIX = '/static/';

const EXTENSION = '.hbs';

/**
 * Handlebars views of `views/`: `<view>.hbs` rendered inside `layout.hbs` (as `{{{body}}}`), with the partials of
 * `views/partials/`. Templates are compiled once and kept (they ship with the code). Handlebars escapes every
 * `{{value}}`, and prototype access stays off, so a view model cannot leak more than its own fields.
 */
export class ViewEngine {
  private readonly handlebars = hbs.create().handlebars;
  private readonly templates = new Map<string, Template>();

  constructor(private readonly dir: string = VIEWS_DIR) {
    const partials = join(dir, 'partials');
    for (const file of readdirSync(partials).filter((f) => extname(f) === EXTENSION)) {
      this.handlebars.registerPartial(basename(file, EXTENSION), readFileSync(join(partials, file), 'utf8'));
    }
  }

  /** Renders `views/<view>.hbs` in the layout. */
  render(view: string, model: object): string {
    return this.renderFile(join(this.dir, `${view}${EXTENSION}`), model);
  }

  /** Express's view-engine signature (`app.engine('hbs', engine.express)`), for `res.render()`. */
  readonly express = (path: string, options: object, callback: (e: unknown, html?: string) => void): void => {
    let html: string;
    try {
      html = this.renderFile(path, options);
    } catch (error) {
      callback(error);
      return;
    }
    callback(null, html);
  };

  /** The view inside its layout: `views/layout.hbs` (the form's), or the one the model names in `layout`. */
  private renderFile(path: string, model: object): string {
    const body = this.template(path)(model);
    const layout = (model as { layout?: unknown }).layout;
    const name = typeof layout === 'string' && /^[\w-]+$/.test(layout) ? layout : 'layout';
    return this.template(join(this.dir, `${name}${EXTENSION}`))({ ...model, body });
  }

  private template(path: string): Template {
    let template = this.templates.get(path);
    if (!template) {
      template = this.handlebars.compile(readFileSync(path, 'utf8'), { strict: true });
      this.templates.set(path, template);
    }
    return template;
  }
}

/** The form's view engine and static files (`/static/…`), set up with the rest of the application. */
export function configureViews(app: NestExpressApplication, engine = new ViewEngine()): void {
  app.engine('hbs', engine.express);
  app.setBaseViewsDir(VIEWS_DIR);
  app.setViewEngine('hbs');
  app.useStaticAssets(PUBLIC_DIR, {
    prefix: STATIC_PREFIX,
    index: false,
    // The stylesheet and script ship with the code and their URLs carry its version: an hour of caching is safe.
    setHeaders: (res) => res.setHeader('Cache-Control', 'public, max-age=3600'),
  });
}
