using Drover.Lb.Model;
using Drover.Lb.Nginx;
using Drover.Lb.Planning;
using static Drover.Lb.Tests.Fixtures;

namespace Drover.Lb.Tests;

public class NginxRendererTests
{
    private static readonly NginxSettings Settings = new() { Prefix = "/run/drover/nginx", BindAddress = "127.0.0.1", HttpPort = 8088 };

    [Fact]
    public void RendersTheGoldenConfig()
    {
        var text = NginxRenderer.Render(ConfigRendererTests.Sample(), Settings);
        Assert.Equal("""
            # Written by drover lb; changes here are overwritten.
            pid /run/drover/nginx/nginx.pid;
            error_log /run/drover/nginx/error.log warn;
            worker_processes auto;
            events {
                worker_connections 1024;
            }

            http {
                access_log off;
                client_body_temp_path /run/drover/nginx/tmp/client_body;
                proxy_temp_path /run/drover/nginx/tmp/proxy;
                fastcgi_temp_path /run/drover/nginx/tmp/fastcgi;
                uwsgi_temp_path /run/drover/nginx/tmp/uwsgi;
                scgi_temp_path /run/drover/nginx/tmp/scgi;
                proxy_http_version 1.1;
                proxy_set_header Connection "";
                proxy_set_header Host $host;
                proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                proxy_next_upstream error timeout;

                upstream fib_0 {
                    server 127.0.0.1:31001;
                    keepalive 16;
                }

                upstream site_0 {
                    hash $remote_addr consistent;
                    server 127.0.0.1:31002;
                    keepalive 16;
                }

                server {
                    listen 127.0.0.1:8088 default_server;
                    server_name _;
                    location = /services/fibonacci {
                        proxy_pass http://fib_0/;
                    }
                    location /services/fibonacci/ {
                        proxy_pass http://fib_0/;
                    }
                }

                server {
                    listen 127.0.0.1:8088;
                    server_name example.com;
                    location / {
                        proxy_pass http://site_0;
                    }
                    location = /services/fibonacci {
                        proxy_pass http://fib_0/;
                    }
                    location /services/fibonacci/ {
                        proxy_pass http://fib_0/;
                    }
                }

                server {
                    listen 127.0.0.1:8088;
                    server_name www.example.com;
                    location / {
                        proxy_pass http://site_0;
                    }
                    location = /services/fibonacci {
                        proxy_pass http://fib_0/;
                    }
                    location /services/fibonacci/ {
                        proxy_pass http://fib_0/;
                    }
                }

                server {
                    listen 127.0.0.1:10001 default_server;
                    server_name _;
                    location / {
                        proxy_pass http://site_0;
                    }
                }
            }

            # tcp service port 10002 (db_0) left out: no stream module configured

            """.Replace("\r\n", "\n"), text);
    }

    [Fact]
    public void StreamBlockWhenTheModuleIsConfigured_AndBackendsWithoutServersAnswer503OrClose()
    {
        var config = DesiredState.Build(
            [App("/db", new() { ["HAPROXY_0_BALANCE"] = "leastconn" }, servicePort: 10002), App("/empty", new() { ["HAPROXY_0_PATH"] = "/e" }, servicePort: 0),
             App("/tcpempty", servicePort: 10003)],
            [Task("/db", "db.a", 31004), Task("/db", "db.b", 31005, kill: true)], "external", LbConfig.Empty).Config;
        var text = NginxRenderer.Render(config, Settings with { StreamModulePath = "/usr/lib/nginx/modules/ngx_stream_module.so" });
        Assert.StartsWith("# Written by drover lb; changes here are overwritten.\nload_module /usr/lib/nginx/modules/ngx_stream_module.so;\n", text);
        Assert.Contains("""
                location = /e {
                    return 503;
                }
        """.Replace("\r\n", "\n"), text);
        Assert.EndsWith("""
            stream {

                upstream db_0 {
                    least_conn;
                    server 127.0.0.1:31004;
                }

                server {
                    listen 127.0.0.1:10002;
                    proxy_pass db_0;
                }

                server {
                    listen 127.0.0.1:10003;
                    return "";
                }
            }

            """.Replace("\r\n", "\n"), text);
        Assert.DoesNotContain("31005", text); // draining: out of Nginx's upstream (a reload drains it)
        Assert.DoesNotContain("upstream empty_0", text); // an upstream without servers is an error in Nginx
    }

    [Fact]
    public void SameConfigSameText() =>
        Assert.Equal(NginxRenderer.Render(ConfigRendererTests.Sample(), Settings), NginxRenderer.Render(ConfigRendererTests.Sample(), Settings));
}
