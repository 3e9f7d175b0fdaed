/** The frozen service config (`QueryApiConfig`), provided once by the root module. */
export const CONFIG = Symbol('QUERY_API_CONFIG');
/** Every documented route ({@link RouteDoc}); each area module adds its own list. */
export const API_ROUTES = Symbol('QUERY_API_ROUTES');
