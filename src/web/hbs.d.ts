/** The part of hbs (no published types) this service uses: a fresh Handlebars environment. */
declare module 'hbs' {
  import type Handlebars from 'handlebars';

  interface HbsInstance {
    handlebars: typeof Handlebars;
  }

  const hbs: HbsInstance & { create(): HbsInstance };
  export = hbs;
}
